import { createHash } from "node:crypto";
import { BrokerError, InvalidRequestError, type JobIdPrefix, type JobSubmitted } from "@switchyard/contracts";
import type { Outcome } from "./await-outcome.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const MAX_KEY_LENGTH = 255;

/**
 * The job id an Idempotency-Key names: `job_` (or `video_`) + 24 base62 characters of
 * sha256(tenant, key).
 * A retry with the same key therefore names the same job (and the same `Nats-Msg-Id`), and two
 * tenants using the same key never meet.
 */
export function idempotentJobId(tenant: string, key: string, prefix: JobIdPrefix = "job"): string {
  const digest = createHash("sha256").update(`${tenant}\n${key}`).digest();
  let id = `${prefix}_`;
  for (let i = 0; i < 24; i++) id += ALPHABET[digest[i]! % 62];
  return id;
}

/** The `Idempotency-Key` header, if any; a repeated or oversized header is a 400, not a silent new job. */
export function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== "string") {
    throw new InvalidRequestError("Send at most one Idempotency-Key header.", { code: "invalid_idempotency_key" });
  }
  const key = header.trim();
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidRequestError(`The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} characters.`, {
      code: "invalid_idempotency_key",
    });
  }
  return key;
}

/**
 * An outcome found under this request's key, unless the key's job is of another kind: chat and
 * images share the `job_` ids, so a key first sent to the other endpoint names a job whose result
 * this one cannot render (a chat answer would be the images result as it is stored). That key
 * is refused as the IETF Idempotency-Key draft refuses a key reused for another request: 422.
 */
export function ofRequestedKind(job: Pick<JobSubmitted, "kind">, outcome: Outcome): Outcome {
  if (typeof outcome !== "object" || outcome instanceof BrokerError || outcome.kind === job.kind) return outcome;
  return new BrokerError(
    `This Idempotency-Key was already used for a ${outcome.kind} request; send a new key for this one.`,
    { status: 422, type: "invalid_request_error", code: "idempotency_key_reused" },
  );
}
