import type { ServerResponse } from "node:http";
import type { JobSubmitted, Names } from "@switchyard/contracts";
import type { Clock, IngressBus } from "../deps.js";
import { findStoredOutcome, watchOutcome, type Outcome, type OutcomeWatch } from "./await-outcome.js";
import { readEarlierJob } from "./earlier-job.js";
import { ofSameRequest, requestMismatch } from "./idempotency.js";
import type { OutcomeInbox } from "./outcome-inbox.js";
import { assertConnected, submitJob, type Published } from "./submit.js";

export interface SyncJobContext {
  readonly bus: IngressBus;
  readonly names: Names;
  readonly clock: Clock;
  /** Where this process hears how its jobs ended. */
  readonly inbox: OutcomeInbox;
}

export interface WatchedJob<T> {
  readonly watch: OutcomeWatch;
  /** What `alsoOpen` returned (a streaming request's token subscription). */
  readonly opened: T;
  /** The publish's ack (or the job found queued); rejects with a 503 when JetStream did not take the job. */
  readonly published: Promise<Published>;
}

/**
 * Registers the job with the inbox, opens whatever `alsoOpen` subscribes, then publishes the job
 * (naming the inbox as its `replyTo`; see `submitJob` for a keyed job still queued): any SUB
 * reaches the server before the job can, so no token of a fast worker is missed. The wait ends
 * at the job's deadline.
 */
export async function watchAndPublish<T>(
  ctx: SyncJobContext,
  job: JobSubmitted,
  alsoOpen: () => T,
): Promise<WatchedJob<T>> {
  const watch = ctx.inbox.watch(job.id, remainingMs(ctx, job));
  let opened: T;
  try {
    opened = alsoOpen();
  } catch (error) {
    watch.cancel();
    throw error;
  }
  const published = submitJob(ctx.bus, ctx.names, Object.assign({}, job, { replyTo: ctx.inbox.replyTo(job.id) }));
  return { watch, opened, published };
}

const remainingMs = (ctx: SyncJobContext, job: JobSubmitted): number => Math.max(0, job.deadlineAt - ctx.clock.now());

/**
 * For a publish JetStream reported as a duplicate: the job is an earlier request's (same
 * Idempotency-Key; `seq` is its message), so its worker replies to that request's ingress.
 * If that request asked something else, the answer is the 422 at once; otherwise follows the
 * job's EVENTS, subscribed before looking for an outcome stored already, so none slips between.
 */
export async function followEarlierJob(
  ctx: SyncJobContext,
  job: JobSubmitted,
  watch: OutcomeWatch,
  seq: number,
): Promise<void> {
  const earlier = await readEarlierJob(ctx.bus, ctx.names, seq);
  const mismatch = earlier ? requestMismatch(earlier, job) : undefined;
  if (mismatch) return watch.resolve(mismatch);
  const events = watchOutcome(ctx.bus.nc, ctx.names, job.id, remainingMs(ctx, job));
  void events.outcome.then((outcome) => {
    if (outcome !== "aborted") watch.resolve(outcome);
  });
  void watch.outcome.then(() => events.cancel());
  const stored = await findStoredOutcome(ctx.bus.jsm, ctx.names, job.id);
  if (stored) watch.resolve(stored);
}

/**
 * The outcome to tell: a timeout is checked against EVENTS first. Core subscriptions miss what
 * is published while the connection is re-established after a NATS restart, so a reply can be
 * lost although the job's terminal event is stored; that event is the authority before a 504.
 */
export async function storedAtDeadline(ctx: SyncJobContext, job: JobSubmitted, outcome: Outcome): Promise<Outcome> {
  if (outcome !== "timeout" || !ctx.bus.isConnected()) return outcome;
  return (await findStoredOutcome(ctx.bus.jsm, ctx.names, job.id).catch(() => null)) ?? outcome;
}

/**
 * Submits a job and waits for its end, for endpoints that answer synchronously.
 *
 * Order matters: a keyed job first looks for a stored outcome (a retry after completion must
 * not run the job again); then the inbox watch opens; only then is the job published. When
 * JetStream reports the publish as a duplicate, an earlier request with the same key owns the
 * job (see `followEarlierJob`). At the deadline EVENTS is checked once more, for a reply lost
 * to a reconnect. If the client disconnects, the wait ends ("aborted"); the job runs on.
 */
export async function runJobSync(ctx: SyncJobContext, job: JobSubmitted, response: ServerResponse): Promise<Outcome> {
  assertConnected(ctx.bus);
  if (job.idempotencyKey !== undefined) {
    const stored = await findStoredOutcome(ctx.bus.jsm, ctx.names, job.id);
    if (stored) return ofSameRequest(job, stored);
  }
  const { watch, published } = await watchAndPublish(ctx, job, () => undefined);
  const onClose = (): void => {
    if (!response.writableEnded) watch.resolve("aborted");
  };
  response.once("close", onClose);
  try {
    const { duplicate, seq } = await published;
    if (duplicate) await followEarlierJob(ctx, job, watch, seq);
    const outcome = await storedAtDeadline(ctx, job, await watch.outcome);
    // A duplicate publish followed an earlier request's job, which its key may name for another request.
    return ofSameRequest(job, outcome);
  } finally {
    watch.cancel();
    response.off("close", onClose);
  }
}
