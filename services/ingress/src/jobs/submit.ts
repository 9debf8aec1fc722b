import { MessageTooLargeError, publishJson } from "@switchyard/bus";
import {
  BrokerError,
  ServiceUnavailableError,
  type JobSubmitted,
  type ModelKind,
  type Names,
} from "@switchyard/contracts";
import type { Model } from "@switchyard/catalog";
import type { IngressBus } from "../deps.js";
import { requestFingerprint } from "./idempotency.js";

export interface NewJob {
  id: string;
  kind: ModelKind;
  model: Model;
  tenant: string;
  /** The validated request body, unknown fields included. */
  request: Record<string, unknown>;
  now: number;
  timeoutMs: number;
  idempotencyKey: string | undefined;
}

export function buildJob(input: NewJob): JobSubmitted {
  const job: JobSubmitted = {
    version: 1,
    id: input.id,
    kind: input.kind,
    family: input.model.family,
    model: input.model.id,
    tenant: input.tenant,
    request: input.request,
    createdAt: input.now,
    deadlineAt: input.now + input.timeoutMs,
  };
  if (input.idempotencyKey !== undefined) {
    job.idempotencyKey = input.idempotencyKey;
    job.requestHash = requestFingerprint({
      api: "sync",
      kind: input.kind,
      model: input.model.id,
      request: input.request,
    });
  }
  return job;
}

export const QUEUE_UNAVAILABLE = "The job queue is unavailable. Please retry shortly.";

/** Fails fast while the client reconnects: a request to NATS now would only wait for its timeout. */
export function assertConnected(bus: Pick<IngressBus, "isConnected">): void {
  if (!bus.isConnected()) throw new ServiceUnavailableError(QUEUE_UNAVAILABLE);
}

/**
 * A job (or its status record) over NATS's `max_payload` is refused however often it is sent:
 * a 413 like a body over the HTTP limit, not a 503 the client would retry for ever.
 */
export function tooLargeForQueue(cause: unknown): BrokerError | undefined {
  if (!(cause instanceof MessageTooLargeError)) return undefined;
  return new BrokerError(
    `The request is too large for the job queue: ${cause.size} bytes as a job, ${cause.limit} at most.`,
    { status: 413, code: "request_too_large", cause },
  );
}

/** What became of a publish: `duplicate` when the job was there already, and `seq` is its message. */
export interface Published {
  duplicate: boolean;
  seq: number;
}

/** The subject a job is published on: a keyed job's names it, so that it can be found while queued. */
function subjectOf(names: Names, job: JobSubmitted): string {
  return job.idempotencyKey === undefined
    ? names.jobSubject(job.family, job.kind)
    : names.keyedJobSubject(job.family, job.kind, job.id);
}

/**
 * Publishes a job unless it is queued or running already. JetStream drops a second publish of
 * a job id only inside its duplicate window (2 minutes); a keyed retry after a 504, or behind a
 * backlog, comes later, while the first request's job is still in `JOBS`, and would be stored
 * as a second message and run twice. So a keyed job's message is looked up by its subject
 * first, and if `JOBS` holds it, that is the answer, as a duplicate publish's would be. Two
 * retries racing past the lookup are inside the window of each other, where JetStream drops one.
 */
export async function submitJob(
  bus: Pick<IngressBus, "publisher" | "isConnected" | "jsm">,
  names: Names,
  job: JobSubmitted,
): Promise<Published> {
  if (job.idempotencyKey !== undefined) {
    const queued = await findQueuedJob(bus, names, job);
    if (queued !== null) return { duplicate: true, seq: queued };
  }
  return publishJob(bus, names, job);
}

/** The stream sequence of a keyed job's message while `JOBS` holds it; null once acked (or never stored). */
async function findQueuedJob(
  bus: Pick<IngressBus, "isConnected" | "jsm">,
  names: Names,
  job: JobSubmitted,
): Promise<number | null> {
  assertConnected(bus);
  try {
    const stored = await bus.jsm.streams.getMessage(names.jobsStream, { last_by_subj: subjectOf(names, job) });
    return stored?.seq ?? null;
  } catch (cause) {
    throw new ServiceUnavailableError(QUEUE_UNAVAILABLE, { cause });
  }
}

/**
 * Publishes the job on `jobs.<family>.<kind>` (a keyed one with its id as a last token) with
 * `Nats-Msg-Id` = job id, so a second publish of the same id inside the duplicate window is
 * dropped by JetStream (`duplicate: true`, and `seq` is the stored message's).
 * Any failure to get the stream's ack (disconnected, timed out, no stream listening, stream
 * full) means the job was not accepted: 503, which clients retry; a job too large to send is a 413.
 */
export async function publishJob(
  bus: Pick<IngressBus, "publisher" | "isConnected">,
  names: Names,
  job: JobSubmitted,
): Promise<Published> {
  assertConnected(bus);
  try {
    const ack = await publishJson(bus.publisher, subjectOf(names, job), job, {
      msgId: job.id,
      attributes: { "switchyard.job_id": job.id },
    });
    return { duplicate: ack.duplicate, seq: ack.seq };
  } catch (cause) {
    throw tooLargeForQueue(cause) ?? new ServiceUnavailableError(QUEUE_UNAVAILABLE, { cause });
  }
}
