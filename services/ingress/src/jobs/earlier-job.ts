import { decodeJson } from "@switchyard/bus";
import { BrokerError, JobSubmitted, markFinished, type JobRecord, type Names } from "@switchyard/contracts";
import type { IngressBus } from "../deps.js";
import { findStoredOutcome } from "./await-outcome.js";
import { keyReusedError, ofSameRequest, requestMismatch } from "./idempotency.js";
import type { TrackedContext, TrackedSubmission } from "./tracked.js";

/**
 * A keyed submission whose record this request made, but whose publish JetStream dropped as a
 * duplicate: the key named a job published before (`seq` is that message's). Either
 *
 * - it was another request's job (a synchronous call with the same key, or another body): this
 *   request's record is removed and the request refused with a 422 — left, the record would
 *   stay `queued` while no worker ever takes it, or show another request's result;
 * - or it is this job, whose record was deleted since (a video's DELETE, then the same key
 *   again inside the duplicate window): no worker takes that message again, so the new record
 *   learns how the job ended, if it has; one still queued or running updates it itself.
 *
 * The job message is read before the outcome: a job that is gone from `JOBS` was acked, and
 * its outcome was stored first. Best effort otherwise: the record as accepted is the answer.
 */
export async function reconcileEarlierJob(
  ctx: TrackedContext,
  input: TrackedSubmission,
  seq: number,
  requestHash: string,
): Promise<JobRecord | null> {
  const earlier = await readEarlierJob(ctx.bus, ctx.names, seq);
  if (earlier && earlier.id === input.id) {
    // A synchronous job never updates a record, so it cannot stand behind this one.
    const mismatch = earlier.tracked
      ? requestMismatch(earlier, { kind: input.kind, requestHash })
      : keyReusedError("a synchronous request");
    if (mismatch) await refuse(ctx, input, mismatch);
  }
  let ended;
  try {
    ended = await findStoredOutcome(ctx.bus.jsm, ctx.names, input.id);
  } catch {
    return null;
  }
  if (ended === undefined || ended instanceof BrokerError) return null;
  const same = ofSameRequest({ kind: input.kind, requestHash }, ended);
  if (same instanceof BrokerError) await refuse(ctx, input, same);
  return (await ctx.statusStore.modify(input.tenant, input.id, markFinished(ended)).catch(() => null)) ?? null;
}

async function refuse(ctx: TrackedContext, input: TrackedSubmission, error: BrokerError): Promise<never> {
  await ctx.statusStore.remove(input.tenant, input.id).catch(() => undefined);
  throw error;
}

/**
 * The job message at `seq` in `JOBS` (what a duplicate publish's ack points at), or null once
 * it was acked (or cannot be read now): the work queue keeps a job until its worker is done.
 */
export async function readEarlierJob(
  bus: Pick<IngressBus, "jsm">,
  names: Pick<Names, "jobsStream">,
  seq: number,
): Promise<JobSubmitted | null> {
  try {
    const stored = await bus.jsm.streams.getMessage(names.jobsStream, { seq });
    if (!stored) return null;
    const parsed = JobSubmitted.safeParse(decodeJson(stored.data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
