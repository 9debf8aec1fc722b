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

/** Base62 of the epoch milliseconds, 8 characters: ids sort by creation time until the year 8888. */
function timePrefix(now: number): string {
  let n = Math.floor(now);
  let out = "";
  for (let i = 0; i < 8; i++) {
    out = ALPHABET[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export type JobIdPrefix = "job" | "video";

/**
 * Job ids double as subject tokens (`events.<jobId>.<type>`) and KV keys, so they hold no
 * dots or wildcards. They start with the creation time, so a tenant's keys listed in order are
 * its jobs newest-last: cursor pagination needs no index. Videos are jobs too, named `video_`
 * as the OpenAI Videos API names them.
 */
export function createJobId(prefix: JobIdPrefix = "job", now = Date.now()): string {
  return `${prefix}_${timePrefix(now)}${randomId(16)}`;
}

/** A job id is accepted from outside (URLs, Idempotency-Key mapping) only in this exact form. */
export const JOB_ID_PATTERN = /^(job|video)_[0-9A-Za-z]{8,64}$/;
