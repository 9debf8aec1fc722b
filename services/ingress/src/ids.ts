import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * `randomId` from contracts with the same alphabet and strength, drawing from a pool refilled
 * 4 KiB at a time: one crypto call per ~170 ids instead of one per id, which at two ids per
 * request (request id, job id) was a visible share of the ingress's CPU.
 */
export function pooledRandomId(length = 24): string {
  if (offset + length > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[pool[offset + i]! % 62];
  offset += length;
  return out;
}

/** Same form as contracts' `createJobId` (`job_` + 24 base62), checked against JOB_ID_PATTERN in tests. */
export function newJobId(): string {
  return `job_${pooledRandomId()}`;
}
