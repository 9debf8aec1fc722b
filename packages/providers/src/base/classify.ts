import type { IncomingHttpHeaders } from "node:http";
import { BrokerError, UpstreamRateLimitedError, UpstreamUnavailableError } from "@switchyard/contracts";
import { rejectedError, type UpstreamErrorReport } from "./client-error.js";

/**
 * What a dialect's `errors.ts` reads from an error body: what decides the retry, and (from
 * `UpstreamErrorReport`) what a client may see of a rejection of its request.
 */
export interface UpstreamErrorDetail extends UpstreamErrorReport {
  /** A short machine code (`rate_limit_error`, `RESOURCE_EXHAUSTED`) for logs and broker messages. */
  code?: string | undefined;
  /** A retry hint carried in the body rather than in `Retry-After` (Gemini's `RetryInfo`). */
  retryAfterMs?: number | undefined;
  /**
   * The status the error stands for, when the body says more than the HTTP status: Gemini
   * answers a wrong API key with 400, which is a 401. Classification follows it; the error's
   * cause keeps the real status.
   */
  equivalentStatus?: number | undefined;
}

/** Every way an upstream call can fail before it yields a usable 2xx body. */
export type UpstreamFailure =
  | {
      kind: "http";
      status: number;
      headers: IncomingHttpHeaders;
      body: string;
      detail: UpstreamErrorDetail;
      /** The route's credentials as sent, scrubbed from any upstream message a client sees. */
      secrets?: readonly string[] | undefined;
    }
  | { kind: "timeout"; cause: unknown }
  | { kind: "aborted"; cause: unknown }
  | { kind: "connection"; cause: unknown };

/**
 * The upstream's own answer, kept as the `cause` of a classified error for logs: the status
 * and the start of the body. It never reaches a client: a rejection of the client's request
 * shows only the cleaned message, code and param its dialect read from the body.
 */
export class UpstreamHttpError extends Error {
  readonly status: number;
  readonly body: string;

  constructor(status: number, body: string, options: { cause?: unknown } = {}) {
    const truncated = body.length > 2048 ? `${body.slice(0, 2048)}…` : body;
    super(`upstream HTTP ${status}: ${truncated}`, { cause: options.cause });
    this.name = "UpstreamHttpError";
    this.status = status;
    this.body = truncated;
  }
}

/**
 * The HTTP status the upstream answered with when an error came from an answer (429, 503, a
 * 200 with unusable output); null for timeouts and connection failures.
 *
 * @example
 * catch (error) { attempt.httpStatus = getUpstreamStatus(error); }
 */
export function getUpstreamStatus(error: unknown): number | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof UpstreamHttpError) return current.status;
    current = current.cause;
  }
  return null;
}

type Verdict = "rate_limited" | "timeout" | "unavailable" | "rejected";

function verdictFor(status: number): Verdict {
  if (status === 429) return "rate_limited";
  if (status === 408) return "timeout";
  // 425 Too Early is "try again later" by definition.
  if (status === 425) return "unavailable";
  // 501/505 describe what the server can never do; every other 5xx (including Anthropic's
  // 529 "overloaded") is a passing state worth a retry.
  if (status >= 500 && status !== 501 && status !== 505) return "unavailable";
  // Other 4xx are about our request or our key, and 1xx/3xx mean a misconfigured base URL:
  // the same request will fail the same way.
  return "rejected";
}

/**
 * Maps a failed upstream call to the `BrokerError` the worker acts on: rate limits and outages
 * are retryable, rejections are not. Messages name only the status and a short upstream code,
 * except that a rejection of the client's request (400/413/422) carries the upstream's cleaned
 * message, code and param; the body goes into `cause`.
 *
 * @example
 * classifyFailure({ kind: "http", status: 503, headers, body, detail: {} }); // UpstreamUnavailableError, retryable
 */
export function classifyFailure(failure: UpstreamFailure, now: number = Date.now()): BrokerError {
  switch (failure.kind) {
    case "http": {
      const suffix = failure.detail.code ? ` (${failure.detail.code})` : "";
      const status = failure.detail.equivalentStatus ?? failure.status;
      return errorFor(status, `upstream returned ${failure.status}${suffix}`, {
        retryAfterMs: retryAfterFromHeaders(failure.headers, now) ?? failure.detail.retryAfterMs,
        cause: new UpstreamHttpError(failure.status, failure.body),
        detail: failure.detail,
        secrets: failure.secrets,
      });
    }
    case "timeout":
      return new UpstreamUnavailableError("upstream timed out", { code: "upstream_timeout", cause: failure.cause });
    case "aborted":
      // The caller gave up (shutdown, cancellation); retrying is the caller's decision.
      return new UpstreamUnavailableError("upstream call aborted", { code: "upstream_aborted", cause: failure.cause });
    case "connection": {
      const code = errorCode(failure.cause);
      const suffix = code ? ` (${code})` : "";
      return new UpstreamUnavailableError(`upstream connection failed${suffix}`, { cause: failure.cause });
    }
    default:
      return assertNever(failure);
  }
}

/**
 * Classifies an error the upstream reported inside a 2xx stream (OpenAI's `data: {"error":...}`,
 * Anthropic's `event: error`, Gemini's `{"error":...}` chunk) the way the same error as an HTTP
 * answer would be: `equivalentStatus` is the status the dialect's error type stands for
 * (`overloaded_error` → 529). The cause keeps the real HTTP status, so the attempt record
 * stays truthful.
 *
 * @example
 * classifyStreamError({ equivalentStatus: 529, httpStatus: 200, body, detail: { code: "overloaded_error" } });
 * // UpstreamUnavailableError "upstream stream failed (overloaded_error)", retryable
 */
export function classifyStreamError(failure: {
  equivalentStatus: number;
  httpStatus: number;
  body: string;
  detail: UpstreamErrorDetail;
}): BrokerError {
  const suffix = failure.detail.code ? ` (${failure.detail.code})` : "";
  return errorFor(failure.equivalentStatus, `upstream stream failed${suffix}`, {
    retryAfterMs: failure.detail.retryAfterMs,
    cause: new UpstreamHttpError(failure.httpStatus, failure.body),
    detail: failure.detail,
  });
}

/** The error class a status stands for, as one exhaustive switch. */
function errorFor(
  status: number,
  message: string,
  options: {
    retryAfterMs: number | undefined;
    cause: unknown;
    detail: UpstreamErrorDetail;
    secrets?: readonly string[] | undefined;
  },
): BrokerError {
  const { retryAfterMs, cause } = options;
  const verdict = verdictFor(status);
  switch (verdict) {
    case "rate_limited":
      return new UpstreamRateLimitedError(message, { retryAfterMs, cause });
    case "timeout":
      return new UpstreamUnavailableError(message, { code: "upstream_timeout", retryAfterMs, cause });
    case "unavailable":
      return new UpstreamUnavailableError(message, { retryAfterMs, cause });
    case "rejected":
      return rejectedError(status, message, options.detail, { cause, secrets: options.secrets });
    default:
      return assertNever(verdict);
  }
}

/**
 * The error for a call the caller's own signal ended: its deadline (`TimeoutError`) is a
 * retryable timeout, anything else an abort, with the signal's reason as the cause.
 */
export function classifyAbort(signal: AbortSignal): BrokerError {
  const reason: unknown = signal.reason;
  const kind = reason instanceof Error && reason.name === "TimeoutError" ? "timeout" : "aborted";
  return classifyFailure({ kind, cause: reason });
}

/**
 * What a failure while reading a 2xx stream means. The caller's signal and undici's body
 * timeout keep their usual meaning; any other socket failure after the headers cut the answer
 * short: a retryable `stream_truncated`.
 */
export function classifyStreamReadError(error: unknown, signal: AbortSignal): BrokerError {
  if (error instanceof BrokerError) return error;
  if (signal.aborted) return classifyAbort(signal);
  const classified = classifyTransportError(error);
  if (classified.code === "upstream_timeout" || classified.code === "upstream_aborted") return classified;
  return streamTruncated(error);
}

/** A stream that ended before its dialect's end marker (`[DONE]`, `message_stop`, a finish). */
export function streamTruncated(cause?: unknown): UpstreamUnavailableError {
  return new UpstreamUnavailableError("upstream stream ended before the answer finished", {
    code: "stream_truncated",
    cause,
  });
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

/**
 * Classifies what undici threw instead of a response: our own timeouts and aborts (the
 * signal's reason is thrown as is), undici's header/body timeouts, and socket errors. A
 * `BrokerError` raised while reading the body passes through unchanged.
 *
 * @example
 * classifyTransportError(new DOMException("timed out", "TimeoutError")).code; // "upstream_timeout"
 */
export function classifyTransportError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  const name = error instanceof Error ? error.name : "";
  const code = errorCode(error);
  if (name === "TimeoutError" || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return classifyFailure({ kind: "timeout", cause: error });
  }
  if (name === "AbortError" || code === "UND_ERR_ABORTED") return classifyFailure({ kind: "aborted", cause: error });
  return classifyFailure({ kind: "connection", cause: error });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause && cause !== error ? errorCode(cause) : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function retryAfterFromHeaders(headers: IncomingHttpHeaders, now: number): number | undefined {
  // OpenAI sends `retry-after-ms` alongside `retry-after` when it wants sub-second precision.
  const ms = header(headers, "retry-after-ms");
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  return parseRetryAfter(header(headers, "retry-after"), now);
}

/**
 * Parses `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3) into milliseconds
 * from `now`. A date in the past means "now" (0); anything unparseable is undefined.
 *
 * @example
 * parseRetryAfter("2"); // 2000
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:58 GMT")); // 2000
 */
export function parseRetryAfter(value: string | undefined | null, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  // Only a real date: `Date.parse` also accepts bare numbers like "-1" or "12".
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** A code from an upstream body, if it is short and plain enough to put in a message. */
export function safeCode(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (typeof value !== "string") return undefined;
  return /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : undefined;
}

function assertNever(value: never): never {
  throw new Error(`unhandled upstream failure: ${JSON.stringify(value)}`);
}
