import {
  decodeJson,
  type ArtifactStore,
  type BusConnection,
  type StatusStore,
  type StoredRecord,
  type TaskStore,
} from "@switchyard/bus";
import type { Catalog } from "@switchyard/catalog";
import {
  BrokerError,
  DeadlineExceededError,
  InvalidRequestError,
  JobSubmitted,
  ModelNotFoundError,
  markProgress,
  markStarted,
  type JobEvent,
  type Names,
} from "@switchyard/contracts";
import type { ProviderSource } from "./attempts.js";
import { createCancelListener, localCancellation, type Cancellation } from "./cancellation.js";
import type { Clock } from "./clock.js";
import type { WorkerConfig } from "./config.js";
import { deliveryOf } from "./delivery.js";
import { createEventRecorder } from "./event-recorder.js";
import { progressEvent, startedEvent } from "./events.js";
import { createAbandonment, createHandlers } from "./handlers/dispatch.js";
import { natsTokenChannels } from "./handlers/token-channel.js";
import { holdEvent } from "./held-event.js";
import { failed, type JobContext, type JobMessage, type Outcome } from "./job-context.js";
import { silentLogger, type Logger } from "./logger.js";
import { createPatience } from "./patience.js";

export type { JobMessage } from "./job-context.js";

export type JobConsumerConfig = Pick<
  WorkerConfig,
  | "maxDeliver"
  | "ackWaitMs"
  | "maxAttemptsPerRoute"
  | "backoffBaseMs"
  | "backoffMaxMs"
  | "maxRetryAfterMs"
  | "finalPublishRetryMs"
  | "logJobs"
  | "streamWindow"
  | "streamStallMs"
  | "videoPollMs"
  | "startedHoldMs"
>;

export interface JobConsumerDeps {
  bus: Pick<BusConnection, "nc" | "jsm" | "publisher">;
  names: Names;
  catalog: Pick<Catalog, "getModel">;
  providers: ProviderSource;
  /** Tracked jobs' records (`<tenant>.<jobId>`), kept current for clients that poll. */
  statusStore: Pick<StatusStore, "revise">;
  /** Upstream task ids of video jobs, so a redelivery resumes instead of resubmitting. */
  taskStore: TaskStore;
  /** Generated images and videos, and the reference images clients upload. */
  artifacts: Pick<ArtifactStore, "put" | "getBytes" | "info">;
  clock: Clock;
  config: JobConsumerConfig;
  /** Named in `started` events, so a stuck or crashed delivery can be traced to a process. */
  workerId: string;
  logger?: Logger;
  random?: () => number;
}

export interface JobConsumer {
  /** Handles one job message to the end: it is acked, nak'ed or terminated before this resolves. */
  handle(msg: JobMessage): Promise<void>;
}

/**
 * Turns job messages into events: `started`, one `attempt` per upstream call, `progress` for
 * long jobs, and exactly one terminal `completed`, `failed` or `cancelled`. The message is acked
 * only once the terminal event is stored in JetStream, so a crash at any point means a
 * redelivery, and a redelivery of a job that already finished is acked without calling the
 * upstream again. What differs per kind (chat, streamed chat, image, video) lives in
 * `handlers/`; this file is the part every job shares: decoding, redelivery, the deadline,
 * the tracked job's status record, cancellation, and the final publish and ack.
 *
 * @example
 * const consumer = createJobConsumer({ bus, names, catalog, providers, statusStore, taskStore, artifacts, clock: systemClock, config, workerId });
 * await startConsumeLoop(jsConsumer, { concurrency: 256, spanName: "process job", handle: (msg) => consumer.handle(msg) });
 */
export function createJobConsumer(deps: JobConsumerDeps): JobConsumer {
  const { bus, names, catalog, clock, config, workerId, statusStore } = deps;
  const logger = deps.logger ?? silentLogger;
  const patiently = createPatience({ clock, config, logger, random: deps.random });
  const handlerDeps = {
    providers: deps.providers,
    clock,
    config,
    random: deps.random,
    artifacts: deps.artifacts,
    taskStore: deps.taskStore,
    patiently,
    logger,
    openTokenChannel: natsTokenChannels(bus.nc, names),
  };
  const deliveryDeps = { jsm: bus.jsm, names, clock, patiently, ackWaitMs: config.ackWaitMs };
  const handlerFor = createHandlers(handlerDeps);
  const abandon = createAbandonment(handlerDeps);
  const cancels = createCancelListener(bus.nc, names);

  const { publishPatiently, alreadyFinished, finish, settleMessage } = createEventRecorder({
    bus,
    names,
    statusStore,
    clock,
    config,
    logger,
    patiently,
  });

  const process = async (msg: JobMessage, job: JobSubmitted, receivedAt: number, cancellation: Cancellation) => {
    const { number: delivery, maybeRunBefore } = await deliveryOf(msg.info, job.id, deliveryDeps);
    // A tracked job's record as this delivery last stored it: each write starts from there.
    let status: StoredRecord | null = null;
    const settle = (outcome: Outcome, earlier?: Promise<unknown>, of: JobSubmitted = job) =>
      finish(msg, of, outcome, receivedAt, earlier, status);
    // Ends the job without running its handler; an earlier delivery's upstream work is undone first.
    const settleUnrun = async (outcome: Outcome, of: JobSubmitted = job) => {
      await abandon(of, catalog.getModel(of.model));
      return settle(outcome, undefined, of);
    };

    // A redelivery may follow a crash or a lost ack after the job finished, and a keyed job
    // (Idempotency-Key) is published again by a retry that comes after JetStream's duplicate
    // window: never call the upstream (and bill the tenant) twice for one job.
    if ((maybeRunBefore || job.idempotencyKey !== undefined) && (await alreadyFinished(job))) {
      settleMessage(() => msg.ack(), job.id);
      return;
    }
    if (job.tracked) {
      status = await statusStore.revise(job.tenant, job.id, markStarted(clock.now()));
      // Cancelled while queued, or its record is gone: the ingress writes the record before it
      // publishes, so a missing one was deleted by its client (a queued video's DELETE) or
      // withdrawn by the ingress when the publish seemed to fail (the client was told 503).
      // Neither may run. The ingress may have published `cancelled` already; the shared terminal
      // message id makes a second one a duplicate, but only within the stream's duplicate
      // window, hence the lookup.
      if (status === null || status.record.status === "cancelled") {
        if (!maybeRunBefore && (await alreadyFinished(job))) return settleMessage(() => msg.ack(), job.id);
        // No webhook for a job without a record: its client never saw it accepted.
        const of = status === null ? Object.assign({}, job, { webhook: undefined }) : job;
        return settleUnrun({ type: "cancelled", reason: "client", route: null, attempts: 0 }, of);
      }
    }
    // The consumer's max_deliver equals maxDeliver, so this is the last delivery JetStream
    // makes (by its own count): record the failure rather than let the job vanish unanswered.
    if (msg.info.deliveryCount >= config.maxDeliver) {
      const error = new BrokerError(`the job was delivered ${msg.info.deliveryCount} times without finishing`, {
        status: 502,
        code: "max_deliveries_exceeded",
      });
      return settleUnrun(failed(error));
    }
    if (clock.now() > job.deadlineAt) return settleUnrun(failed(new DeadlineExceededError()));
    const model = catalog.getModel(job.model);
    if (!model) return settle(failed(new ModelNotFoundError(job.model)));
    if (model.kind !== job.kind) {
      return settle(
        failed(
          new InvalidRequestError(`'${job.model}' is a ${model.kind} model, not a ${job.kind} model`, {
            param: "model",
          }),
        ),
      );
    }

    const pending: Array<Promise<void>> = [];
    const publish = (event: JobEvent): void => {
      pending.push(publishPatiently(event));
    };
    // Held briefly so that a quick job's events leave in one write (WORKER_STARTED_HOLD_MS);
    // any later event releases it first, so `started` always comes first.
    const started = startedEvent(job, delivery, workerId, clock.now());
    const heldStarted = holdEvent(() => publish(started), config.startedHoldMs);
    const emit = (event: JobEvent): void => {
      heldStarted.release();
      publish(event);
    };
    const ctx: JobContext = {
      job,
      model,
      delivery,
      signal: cancellation.signal,
      cancelReason: cancellation.reason,
      cancel: cancellation.cancel,
      emit,
      progress: async (update) => {
        emit(
          progressEvent(job, { progress: update.progress, upstreamTaskId: update.upstreamTaskId ?? null }, clock.now()),
        );
        if (!job.tracked) return;
        try {
          status = (await statusStore.revise(job.tenant, job.id, markProgress(update), status)) ?? status;
        } catch (error) {
          // Progress is advisory; the next update or the final record catches up.
          logger.warn("could not update the job's progress", { jobId: job.id, error });
        }
      },
    };
    let outcome: Outcome;
    try {
      outcome = await handlerFor(job)(ctx);
    } finally {
      heldStarted.release();
    }
    // Whatever broke off a cancelled job's call (an abort error, a half-read stream) is the
    // cancellation's doing. A job that completed anyway stays completed: its answer exists.
    const reason = cancellation.reason();
    if (reason !== null && outcome.type === "failed") {
      const { type: _type, error: _error, ...facts } = outcome;
      outcome = { ...facts, type: "cancelled", reason };
    }
    return settle(outcome, Promise.all(pending));
  };

  return {
    async handle(msg) {
      const receivedAt = clock.now();
      let job: JobSubmitted;
      try {
        job = JobSubmitted.parse(decodeJson(msg.data));
      } catch (error) {
        // Without a valid job there is no job id to report a failure under, and redelivery
        // cannot make the bytes decodable: terminate so it does not loop until max_deliver.
        // No reason text: nats-server 2.9 only recognises a bare `+TERM` and ignores `+TERM <reason>`.
        logger.error("undecodable job message terminated", { subject: msg.subject, error });
        msg.term();
        return;
      }
      // Tells JetStream the job is alive, so a long upstream call is not redelivered elsewhere.
      const heartbeat = setInterval(
        () => {
          try {
            msg.working();
          } catch {
            // Closed connection (shutdown): the job is redelivered once the ack wait runs out.
          }
        },
        Math.max(100, Math.floor(config.ackWaitMs / 3)),
      );
      // Streamed and tracked jobs can be cancelled from outside; synchronous ones only by a deadline.
      const cancellation = job.tracked === true || job.stream === true ? cancels.listen(job.id) : localCancellation();
      try {
        await process(msg, job, receivedAt, cancellation);
      } finally {
        cancellation.close();
        clearInterval(heartbeat);
      }
    },
  };
}
