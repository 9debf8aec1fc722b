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

/** What a keyed request asked, as its fingerprint sees it. */
export interface RequestParts {
  /** `sync` for the OpenAI endpoints (chat, images), `tracked` for the job and Videos APIs. */
  readonly api: "sync" | "tracked";
  readonly kind: string;
  readonly model: string;
  readonly request: Record<string, unknown>;
  readonly webhook?: unknown;
  readonly metadata?: unknown;
}

/**
 * A digest of what a keyed request asked (`JobSubmitted.requestHash`): sha256 of its parts as
 * JSON with sorted keys, so the order a client writes fields in does not matter. The API is
 * part of it: a key sent to `POST /v1/jobs` and then to `POST /v1/chat/completions` names two
 * different requests, as the IETF Idempotency-Key draft scopes a key to one request. How the
 * answer is delivered (`stream`, `stream_options`) is not: a streamed job may be fetched again
 * without streaming, and the reverse.
 */
export function requestFingerprint(parts: RequestParts): string {
  const { api, kind, model, webhook = null, metadata = null } = parts;
  const { stream: _stream, stream_options: _streamOptions, ...request } = parts.request;
  return createHash("sha256")
    .update(canonicalJson({ api, kind, model, request, webhook, metadata }))
    .digest("base64url")
    .slice(0, 22);
}

/** JSON with every object's keys sorted. Bodies are at most `MAX_JSON_DEPTH` deep (see parseBody), so recursion is safe. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The 422 for a key already used for another request (the IETF Idempotency-Key draft's status). */
export function keyReusedError(what: string): BrokerError {
  return new BrokerError(`This Idempotency-Key was already used for ${what}; send a new key for this one.`, {
    status: 422,
    type: "invalid_request_error",
    code: "idempotency_key_reused",
  });
}

/**
 * Why a job (or its stored outcome) under this request's key was asked for by another request,
 * if it was: another kind (chat and images share the `job_` ids, and a chat answer cannot render
 * an images result), or another fingerprint (another body, model or API). Jobs and outcomes of
 * an older ingress carry no fingerprint and are compared by kind only.
 */
export function requestMismatch(
  first: { readonly kind: string; readonly requestHash?: string | undefined },
  job: Pick<JobSubmitted, "kind" | "requestHash">,
): BrokerError | undefined {
  if (first.kind !== job.kind) return keyReusedError(`a ${first.kind} request`);
  if (first.requestHash !== undefined && job.requestHash !== undefined && first.requestHash !== job.requestHash) {
    return keyReusedError("a different request");
  }
  return undefined;
}

/** An outcome found under this request's key, or the 422 if another request asked for its job. */
export function ofSameRequest(job: Pick<JobSubmitted, "kind" | "requestHash">, outcome: Outcome): Outcome {
  if (typeof outcome !== "object" || outcome instanceof BrokerError) return outcome;
  return requestMismatch(outcome, job) ?? outcome;
}
