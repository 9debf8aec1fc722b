import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * A random base62 string: safe as a NATS subject token, a URL segment and a header value.
 * Bytes come from a pool refilled 4 KiB at a time: one crypto call per ~170 ids instead of
 * one per id, which at two ids per request was a visible share of the ingress's CPU.
 */
export function randomId(length = 24): string {
  if (length > POOL_SIZE) throw new RangeError(`randomId length must be at most ${POOL_SIZE}`);
  if (offset + length > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[pool[offset + i]! % 62];
  offset += length;
  return out;
}

/** Job ids double as subject tokens (`events.<jobId>.<type>`), so they hold no dots or wildcards. */
export function createJobId(): string {
  return `job_${randomId()}`;
}

/** A job id is accepted from outside (URLs, Idempotency-Key mapping) only in this exact form. */
export const JOB_ID_PATTERN = /^job_[0-9A-Za-z]{8,64}$/;
