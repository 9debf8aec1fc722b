import type { ServerResponse } from "node:http";
import type { JobSubmitted, Names } from "@switchyard/contracts";
import type { Clock, IngressBus } from "../deps.js";
import { findStoredOutcome, watchOutcome, type Outcome, type OutcomeWatch } from "./await-outcome.js";
import { assertConnected, publishJob } from "./submit.js";
import type { SendBatch } from "./send-batch.js";

export interface SyncJobContext {
  readonly bus: IngressBus;
  readonly names: Names;
  readonly clock: Clock;
  readonly batch: SendBatch;
}

export interface WatchedJob<T> {
  readonly watch: OutcomeWatch;
  /** What `alsoOpen` returned (a streaming request's token subscription). */
  readonly opened: T;
  /** The publish's ack; rejects with a 503 when JetStream did not take the job. */
  readonly published: Promise<{ duplicate: boolean }>;
}

/**
 * Opens the job's event watch, then whatever `alsoOpen` subscribes, then publishes the job, in
 * one synchronous step: the SUBs reach the server before the job can, so no event or token
 * of a fast worker is missed. The wait ends at the job's deadline.
 */
export async function watchAndPublish<T>(
  ctx: SyncJobContext,
  job: JobSubmitted,
  alsoOpen: () => T,
): Promise<WatchedJob<T>> {
  return ctx.batch(() => {
    const watch = watchOutcome(ctx.bus.nc, ctx.names, job.id, Math.max(0, job.deadlineAt - ctx.clock.now()));
    let opened: T;
    try {
      opened = alsoOpen();
    } catch (error) {
      watch.cancel();
      throw error;
    }
    return { watch, opened, published: publishJob(ctx.bus, ctx.names, job) };
  });
}

/**
 * Submits a job and waits for its end, for endpoints that answer synchronously.
 *
 * Order matters: a keyed job first looks for a stored outcome (a retry after completion must
 * not run the job again); then the event subscription opens; only then is the job published.
 * When JetStream reports the publish as a duplicate, an earlier request with the same key
 * owns the job, and it may have finished before our subscription existed, so EVENTS is
 * checked once more, as it is at the deadline. If the client disconnects, the wait ends
 * ("aborted"); the job runs on.
 */
export async function runJobSync(ctx: SyncJobContext, job: JobSubmitted, response: ServerResponse): Promise<Outcome> {
  assertConnected(ctx.bus);
  if (job.idempotencyKey !== undefined) {
    const stored = await findStoredOutcome(ctx.bus.jsm, ctx.names, job.id);
    if (stored) return stored;
  }
  const { watch, published } = await watchAndPublish(ctx, job, () => undefined);
  const onClose = (): void => {
    if (!response.writableEnded) watch.resolve("aborted");
  };
  response.once("close", onClose);
  try {
    const { duplicate } = await published;
    if (duplicate) {
      const stored = await findStoredOutcome(ctx.bus.jsm, ctx.names, job.id);
      if (stored) watch.resolve(stored);
    }
    const outcome = await watch.outcome;
    // Core subscriptions miss what is published while the connection is re-established after a
    // NATS restart; the stored terminal event is the authority before answering 504.
    if (outcome === "timeout" && ctx.bus.isConnected()) {
      return (await findStoredOutcome(ctx.bus.jsm, ctx.names, job.id).catch(() => null)) ?? outcome;
    }
    return outcome;
  } finally {
    watch.cancel();
    response.off("close", onClose);
  }
}
