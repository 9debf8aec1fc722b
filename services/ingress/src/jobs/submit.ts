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

/**
 * Publishes the job on `jobs.<family>.<kind>` with `Nats-Msg-Id` = job id, so a second publish of
 * the same id inside the duplicate window is dropped by JetStream (`duplicate: true`, and `seq` is
 * the stored message's).
 * Any failure to get the stream's ack (disconnected, timed out, no stream listening, stream
 * full) means the job was not accepted: 503, which clients retry; a job too large to send is a 413.
 */
export async function publishJob(
  bus: Pick<IngressBus, "publisher" | "isConnected">,
  names: Names,
  job: JobSubmitted,
): Promise<{ duplicate: boolean; seq: number }> {
  assertConnected(bus);
  try {
    const ack = await publishJson(bus.publisher, names.jobSubject(job.family, job.kind), job, {
      msgId: job.id,
      attributes: { "switchyard.job_id": job.id },
    });
    return { duplicate: ack.duplicate, seq: ack.seq };
  } catch (cause) {
    throw tooLargeForQueue(cause) ?? new ServiceUnavailableError(QUEUE_UNAVAILABLE, { cause });
  }
}
