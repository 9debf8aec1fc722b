import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { DestinationRefusedError, checkDestination, guardedLookup } from "./destination-policy.js";
import { parseRetryAfter } from "./retry-policy.js";

export const USER_AGENT = "Switchyard-Webhooks/0.1";
/** Receivers' answers are not read, only drained (up to this much) so the connection is reused. */
const MAX_DRAINED_BYTES = 64 * 1024;

export interface DeliveryRequest {
  url: string;
  /** The exact bytes that were signed. */
  body: string;
  headers: Readonly<Record<string, string>>;
}

export interface DeliveryResult {
  /** The receiver answered 2xx. */
  delivered: boolean;
  /** Retrying cannot help: the destination is refused. */
  permanent: boolean;
  /** The receiver's status; null when none came (refused, timeout, connection error). */
  httpStatus: number | null;
  error: string | null;
  latencyMs: number;
  /** The receiver's `Retry-After`, in ms from now. */
  retryAfterMs: number | undefined;
}

export interface DelivererOptions {
  /** Deliver to loopback, private and link-local addresses too. */
  allowPrivate: boolean;
  /** One attempt, connection to last byte of the answer's head. */
  timeoutMs: number;
}

export interface Deliverer {
  /** POSTs one signed event; never throws: every way an attempt can end is a result. */
  deliver(request: DeliveryRequest): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/**
 * Sends webhook POSTs over one undici agent, whose connections resolve names through
 * `guardedLookup` (unless private destinations are allowed), so the address checked is the
 * address connected to. Redirects are not followed: a 3xx is a failed attempt, and a redirect
 * cannot lead the dispatcher to an address the guard would refuse.
 *
 * @example
 * const deliverer = createDeliverer({ allowPrivate: false, timeoutMs: 10_000 });
 * const result = await deliverer.deliver({ url, body, headers });
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  const { allowPrivate, timeoutMs } = options;
  const agent = new Agent({
    connect: { timeout: timeoutMs, ...(allowPrivate ? {} : { lookup: guardedLookup }) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return {
    close: () => agent.close(),
    deliver: async ({ url, body, headers }) => {
      const started = performance.now();
      const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
      try {
        checkDestination(url, { allowPrivate });
        const response = await request(url, {
          method: "POST",
          headers: { ...headers, "user-agent": USER_AGENT },
          body,
          dispatcher: agent,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const status = response.statusCode;
        await response.body.dump({ limit: MAX_DRAINED_BYTES }).catch(() => undefined);
        const delivered = status >= 200 && status < 300;
        return {
          delivered,
          permanent: false,
          httpStatus: status,
          error: delivered ? null : `the receiver answered HTTP ${status}`,
          latencyMs: elapsed(),
          retryAfterMs: delivered ? undefined : parseRetryAfter(response.headers["retry-after"], Date.now()),
        };
      } catch (error) {
        const refused = findInCauses(error, (e) => e instanceof DestinationRefusedError);
        return {
          delivered: false,
          permanent: refused !== undefined,
          httpStatus: null,
          error: refused ? refused.message : describeFailure(error, timeoutMs),
          latencyMs: elapsed(),
          retryAfterMs: undefined,
        };
      }
    },
  };
}

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** One line for the ledger: what went wrong, without a stack or a receiver's body. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const timedOut = findInCauses(
    error,
    (e) => e.name === "TimeoutError" || TIMEOUT_CODES.has(String((e as { code?: unknown }).code)),
  );
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  const coded = findInCauses(error, (e) => typeof (e as { code?: unknown }).code === "string");
  const root = coded ?? (error instanceof Error ? error : undefined);
  if (!root) return `connection failed: ${String(error)}`;
  const code = (root as { code?: unknown }).code;
  return `connection failed: ${typeof code === "string" ? `${code} ` : ""}${root.message}`.trim();
}

function findInCauses(error: unknown, match: (error: Error) => boolean): Error | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (match(current)) return current;
  }
  return undefined;
}
