import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { InvalidRequestError, ServiceUnavailableError } from "@switchyard/contracts";
import { forbiddenAddressReason } from "./address-policy.js";

/** Every address a host name resolves to (A and AAAA). */
export type HostResolver = (hostname: string) => Promise<string[]>;

export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export interface WebhookUrlPolicy {
  /** Loopback, private and link-local targets pass (tests, local development). */
  readonly allowPrivate: boolean;
  readonly resolve: HostResolver;
}

const PARAM = "webhook.url";
const RESOLVE_TIMEOUT_MS = 5_000;

function refuse(message: string): InvalidRequestError {
  return new InvalidRequestError(message, { param: PARAM, code: "invalid_webhook_url" });
}

/**
 * Checks a webhook URL before the job is accepted: http(s) only, no credentials, and unless `allowPrivate`, the
 * host must not be, or resolve to, an address inside a private network (every address it
 * resolves to is checked, since any one of them may be used). The dispatcher must check the
 * address it connects to again: DNS can answer differently at delivery time.
 *
 * @example
 * await assertWebhookUrlAllowed("https://hooks.example.com/in", { allowPrivate: false, resolve: systemResolver });
 */
export async function assertWebhookUrlAllowed(url: string, policy: WebhookUrlPolicy): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse("The webhook URL is not a valid URL.");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw refuse("The webhook URL must use http or https.");
  }
  // The dispatcher refuses them at every attempt (a secret in a URL ends up in logs): say so now.
  if (parsed.username || parsed.password) throw refuse("The webhook URL must not hold credentials.");
  if (policy.allowPrivate) return;

  // URL has already normalised IPv4 spellings (`http://2130706433/` is 127.0.0.1).
  const host = parsed.hostname
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) {
    throw refuse("The webhook URL must not point to a loopback address.");
  }
  const addresses = isIP(host) ? [host] : await resolveAll(host, policy.resolve);
  for (const address of addresses) {
    const reason = forbiddenAddressReason(address);
    if (reason !== null) {
      throw refuse(`The webhook URL must not point to a ${reason} address.`);
    }
  }
}

async function resolveAll(host: string, resolve: HostResolver): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error("lookup timed out"), { code: "ETIMEOUT" })),
      RESOLVE_TIMEOUT_MS,
    );
  });
  try {
    const addresses = await Promise.race([resolve(host), timeout]);
    if (addresses.length === 0) throw Object.assign(new Error("no addresses"), { code: "ENOTFOUND" });
    return addresses;
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    // A resolver that is down or slow is our problem, and retrying may help; a name that does not exist is the client's.
    if (code === "EAI_AGAIN" || code === "ETIMEOUT") {
      throw new ServiceUnavailableError("Could not resolve the webhook host. Please retry.", { cause });
    }
    throw refuse(`The webhook host '${host}' could not be resolved.`);
  } finally {
    clearTimeout(timer);
  }
}
