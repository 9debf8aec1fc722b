import { publishJson, decodeJson, nextTurn, type BusConnection } from "@switchyard/bus";
import type { Catalog } from "@switchyard/catalog";
import {
  BrokerError,
  ChatCompletionRequest,
  DeadlineExceededError,
  InvalidRequestError,
  JobSubmitted,
  ModelNotFoundError,
  eventMessageId,
  type JobEvent,
  type Names,
  type TerminalEvent,
} from "@switchyard/contracts";
import { runAttempts, type ProviderSource } from "./attempts.js";
import { backoffDelay } from "./backoff.js";
import type { Clock } from "./clock.js";
import type { WorkerConfig } from "./config.js";
import { completedEvent, failedEvent, startedEvent } from "./events.js";
import { silentLogger, type Logger } from "./logger.js";

/** The part of a JetStream message the consumer uses; `JsMsg` satisfies it. */
export interface JobMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly info: { readonly deliveryCount: number };
  ack(): void;
  nak(millis?: number): void;
  term(reason?: string): void;
  working(): void;
}

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
>;

export interface JobConsumerDeps {
  bus: Pick<BusConnection, "js" | "jsm">;
  names: Names;
  catalog: Pick<Catalog, "getModel">;
  providers: ProviderSource;
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
 * Turns job messages into events: `started`, one `attempt` per upstream call, and exactly one
 * terminal `completed` or `failed`. The message is acked only once the terminal event is
 * stored in JetStream, so a crash at any point means a redelivery, and a redelivery of a job
 * that already finished is acked without calling the upstream again.
 *
 * @example
 * const consumer = createJobConsumer({ bus, names, catalog, providers, clock: systemClock, config, workerId });
 * await startConsumeLoop(jsConsumer, { concurrency: 256, spanName: "process job", handle: (msg) => consumer.handle(msg) });
 */
export function createJobConsumer(deps: JobConsumerDeps): JobConsumer {
  const { bus, names, catalog, providers, clock, config, workerId } = deps;
  const logger = deps.logger ?? silentLogger;

  // Publishes wait for the turn's end so that concurrent jobs' events share socket writes.
  const publish = async (event: JobEvent) => {
    await nextTurn();
    return publishJson(bus.js, names.eventSubject(event.jobId, event.type), event, {
      msgId: eventMessageId(event),
      attributes: { "switchyard.job_id": event.jobId, "switchyard.event": event.type },
    });
  };

  /** Lookups of the job's terminal subjects; `getMessage` answers null when there is none. */
  const terminalEventExists = async (jobId: string): Promise<boolean> => {
    const [completed, failed] = await Promise.all([
      bus.jsm.streams.getMessage(names.eventsStream, { last_by_subj: names.eventSubject(jobId, "completed") }),
      bus.jsm.streams.getMessage(names.eventsStream, { last_by_subj: names.eventSubject(jobId, "failed") }),
    ]);
    return completed !== null || failed !== null;
  };

  /** Publishes a non-terminal event, retrying while JetStream is unreachable, within the same budget as the final one. */
  const publishPatiently = async (event: JobEvent): Promise<void> => {
    const giveUpAt = clock.now() + config.finalPublishRetryMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await publish(event);
        return;
      } catch (error) {
        if (clock.now() >= giveUpAt) {
          logger.error(`could not publish the ${event.type} event`, { jobId: event.jobId, error });
          return;
        }
        await clock.sleep(Math.max(100, backoffDelay(attempt, config, deps.random)));
      }
    }
  };

  /**
   * Publishes the terminal event, retrying while JetStream is unreachable, then acks. If it
   * never lands, the job is nak'ed: its redelivery publishes again, and the dedup check above
   * acks it instead if this publish did land after all.
   */
  const finish = async (msg: JobMessage, event: TerminalEvent, earlier: Promise<unknown> = Promise.resolve()): Promise<void> => {
    const giveUpAt = clock.now() + config.finalPublishRetryMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await publish(event);
        // The started and attempt events go before the ack: once the job is acked, nothing may
        // be missing. They are published concurrently with the terminal one, which is what the
        // waiting client needs first.
        await earlier;
        msg.ack();
        if (config.logJobs)
          logger.info(`job ${event.type}`, {
            jobId: event.jobId,
            attempts: event.attempts,
            latencyMs: event.latencyMs,
          });
        return;
      } catch (error) {
        if (clock.now() >= giveUpAt) {
          logger.error("could not publish the final event; the job will be redelivered", { jobId: event.jobId, error });
          msg.nak(config.backoffMaxMs);
          return;
        }
        logger.warn("final event publish failed; retrying", { jobId: event.jobId, attempt, error });
        await clock.sleep(Math.max(100, backoffDelay(attempt, config, deps.random)));
      }
    }
  };

  const process = async (msg: JobMessage, job: JobSubmitted, receivedAt: number): Promise<void> => {
    const delivery = msg.info.deliveryCount;
    const fail = (
      error: BrokerError,
      extra: { route?: string | null; attempts?: number } = {},
      earlier?: Promise<unknown>,
    ) =>
      finish(
        msg,
        failedEvent(
          job,
          { route: extra.route ?? null, attempts: extra.attempts ?? 0, latencyMs: clock.now() - receivedAt, error },
          clock.now(),
        ),
        earlier,
      );

    // A redelivery may follow a crash or a lost ack after the job finished: never call the
    // upstream (and bill the tenant) twice for one job.
    if (delivery > 1 && (await terminalEventExists(job.id))) {
      msg.ack();
      return;
    }
    // The consumer's max_deliver equals maxDeliver, so this is the last delivery JetStream
    // makes: record the failure rather than let the job vanish unanswered.
    if (delivery >= config.maxDeliver) {
      const error = new BrokerError(`the job was delivered ${delivery} times without finishing`, {
        status: 502,
        code: "max_deliveries_exceeded",
      });
      return fail(error);
    }
    if (clock.now() > job.deadlineAt) return fail(new DeadlineExceededError());
    if (job.kind !== "chat") {
      return fail(
        new BrokerError(`${job.kind} jobs are not supported by this worker yet`, {
          status: 501,
          code: "unsupported_kind",
        }),
      );
    }
    const model = catalog.getModel(job.model);
    if (!model) return fail(new ModelNotFoundError(job.model));
    const parsed = ChatCompletionRequest.safeParse(job.request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(
        new InvalidRequestError(issue?.message ?? "invalid request", { param: issue?.path.join(".") || null }),
      );
    }

    const pending: Array<Promise<void>> = [];
    const background = (event: JobEvent): void => {
      pending.push(publishPatiently(event));
    };
    background(startedEvent(job, delivery, workerId, clock.now()));
    const outcome = await runAttempts(
      { job, request: parsed.data, routes: model.routes, delivery },
      { providers, clock, config, random: deps.random, onAttempt: background },
    );
    const earlier = Promise.all(pending);
    if (outcome.ok) {
      const latencyMs = clock.now() - receivedAt;
      const facts = {
        route: outcome.route.id,
        attempts: outcome.attempts,
        latencyMs,
        completion: outcome.result.completion,
      };
      return finish(msg, completedEvent(job, facts, clock.now()), earlier);
    }
    return fail(outcome.error, { route: outcome.route?.id ?? null, attempts: outcome.attempts }, earlier);
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
      const heartbeat = setInterval(() => msg.working(), Math.max(100, Math.floor(config.ackWaitMs / 3)));
      try {
        await process(msg, job, receivedAt);
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
