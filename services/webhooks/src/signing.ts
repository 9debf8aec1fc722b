import { createHmac, timingSafeEqual } from "node:crypto";

/*
 * Standard Webhooks signatures (https://www.standardwebhooks.com), as OpenAI's webhooks use:
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`,
 * keyed with the bytes the `whsec_` secret encodes in base64. Receivers verify with any
 * Standard Webhooks library (or `verifyWebhook` below).
 */

const PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** The spec asks for secrets of 24 to 64 random bytes. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
/** How old (or how far in the future) a timestamp a receiver accepts, per the spec's advice. */
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/**
 * The HMAC key of a `whsec_` secret; throws if it is not one.
 *
 * @example
 * decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").length; // 24
 */
export function decodeSecret(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error("a webhook secret starts with whsec_");
  const encoded = secret.slice(PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) throw new Error("a webhook secret is base64 after whsec_");
  const key = Buffer.from(encoded, "base64");
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new Error(`a webhook secret holds ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`);
  }
  return key;
}

/**
 * The `webhook-signature` value of one delivery attempt.
 *
 * @example
 * signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
 * // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${hmac(decodeSecret(secret), id, timestamp, body)}`;
}

/**
 * Every header of one delivery attempt: `webhook-id` is the event's (the same on each retry),
 * `webhook-timestamp` this attempt's time in unix seconds.
 */
export function webhookHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(secret, id, timestamp, body),
  };
}

export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
}

export interface VerifyOptions {
  /** Unix seconds; defaults to the clock. */
  now?: number;
  toleranceSeconds?: number;
}

/**
 * Checks a received webhook the way a receiver should: the signature over the raw body, and a
 * timestamp close to now (so a captured request cannot be replayed later). Throws
 * `WebhookVerificationError` when either fails.
 *
 * @example
 * verifyWebhook(secret, { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig }, rawBody);
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  options: VerifyOptions = {},
): void {
  const id = single(headers["webhook-id"]);
  const timestampHeader = single(headers["webhook-timestamp"]);
  const signatures = single(headers["webhook-signature"]);
  if (!id || !timestampHeader || !signatures) throw new WebhookVerificationError("missing webhook headers");
  if (!/^\d+$/.test(timestampHeader)) throw new WebhookVerificationError("invalid webhook-timestamp");
  const timestamp = Number(timestampHeader);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) throw new WebhookVerificationError("webhook-timestamp out of tolerance");
  const expected = Buffer.from(hmac(decodeSecret(secret), id, timestamp, body), "base64");
  // The header may list several space-separated signatures (while a secret is being rotated).
  for (const candidate of signatures.split(" ")) {
    const [version, signature] = candidate.split(",", 2);
    if (version !== "v1" || !signature) continue;
    const received = Buffer.from(signature, "base64");
    if (received.length === expected.length && timingSafeEqual(received, expected)) return;
  }
  throw new WebhookVerificationError("no matching webhook-signature");
}

function hmac(key: Buffer, id: string, timestamp: number, body: string): string {
  return createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
