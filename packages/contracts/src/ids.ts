import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random base62 string: safe as a NATS subject token, a URL segment and a header value. */
export function randomId(length = 24): string {
  const bytes = randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % 62];
  return out;
}

/** Job ids double as subject tokens (`events.<jobId>.<type>`), so they hold no dots or wildcards. */
export function createJobId(): string {
  return `job_${randomId()}`;
}

/** A job id is accepted from outside (URLs, Idempotency-Key mapping) only in this exact form. */
export const JOB_ID_PATTERN = /^job_[0-9A-Za-z]{8,64}$/;
