import {
  decodeJson,
  findTerminalMessage,
  publishJson,
  publishTerminal,
  queueWebhook,
  replyTerminal,
  type BusConnection,
  type StatusStore,
  type StoredRecord,
} from "@switchyard/bus";
import {
  JobEvent,
  eventMessageId,
  isTerminal,
  markFinished,
  type JobSubmitted,
  type Names,
  type TerminalEvent,
} from "@switchyard/contracts";
import type { Clock } from "./clock.js";
import { cancelledEvent, completedEvent, failedEvent } from "./events.js";
import type { JobMessage, Outcome } from "./job-context.js";
import type { Logger } from "./logger.js";
import type { Patiently } from "./patience.js";

export interface EventRecorderDeps {
  bus: Pick<BusConnection, "nc" | "jsm" | "publisher">;
  names: Names;
  statusStore: Pick<StatusStore, "revise">;
  clock: Clock;
  config: { readonly backoffMaxMs: number; readonly logJobs: boolean };
  logger: Logger;
  patiently: Patiently;
}

export interface EventRecorder {
  /** Publishes a non-terminal event, retrying while JetStream is unreachable; a lost one is logged, not fatal. */
  publishPatiently(event: JobEvent): Promise<void>;
  /**
   * Whether the job has a `completed`, `failed` or `cancelled` event already. If it has, what
   * the worker that stored it may have died before doing is done again: a tracked job's record
   * learns the outcome (a no-op when it has), its webhook is queued (a no-op when it is) and the
   * waiting ingress, if any, is told.
   */
  alreadyFinished(job: JobSubmitted): Promise<boolean>;
  /**
   * Records the outcome (a tracked job's status record, then the terminal event), retrying while
   * NATS is unreachable, waits for `earlier` events, then acks. If it never lands, the job is
   * nak'ed: its redelivery publishes again, and the dedup check acks it instead if this publish
   * did land after all.
   */
  finish(
    msg: JobMessage,
    job: JobSubmitted,
    outcome: Outcome,
    receivedAt: number,
    earlier?: Promise<unknown>,
    /** A tracked job's record as this delivery last stored it, so finishing it needs no read. */
    status?: StoredRecord | null,
  ): Promise<void>;
  /** Acks or naks, best effort once the connection is closed (shutdown): the job is redelivered then. */
  settleMessage(settle: () => void, jobId: string): void;
}

/** How a job's outcome reaches JetStream and the status record: the one place that acks. */
export function createEventRecorder(deps: EventRecorderDeps): EventRecorder {
  const { bus, names, statusStore, clock, config, logger, patiently } = deps;

  // Concurrent jobs' events share socket writes without waiting here: the bus's transport
  // writes once per event-loop turn.
  const publish = async (event: JobEvent) => {
    const attributes = { "switchyard.job_id": event.jobId, "switchyard.event": event.type };
    if (isTerminal(event)) return publishTerminal(bus.publisher, names, event, attributes);
    return publishJson(bus.publisher, names.eventSubject(event.jobId, event.type), event, {
      msgId: eventMessageId(event),
      attributes,
    });
  };

  /** The waiting ingress of a synchronous job learns the stored outcome; best effort (it also checks EVENTS). */
  const reply = (job: JobSubmitted, event: TerminalEvent): void => {
    if (job.replyTo === undefined) return;
    try {
      replyTerminal(bus.nc, job.replyTo, event);
    } catch (error) {
      logger.warn("could not tell the waiting ingress; it finds the outcome in EVENTS at the deadline", {
        jobId: job.id,
        error,
      });
    }
  };

  /** The job's terminal event as stored in EVENTS; null if there is none, "unreadable" if it does not parse. */
  const storedTerminal = async (job: JobSubmitted): Promise<TerminalEvent | "unreadable" | null> => {
    const stored = await findTerminalMessage(bus.jsm, names, job.id);
    if (!stored) return null;
    const parsed = JobEvent.safeParse(decodeJson(stored.data));
    return parsed.success && isTerminal(parsed.data) ? parsed.data : "unreadable";
  };

  const settleMessage = (settle: () => void, jobId: string): void => {
    try {
      settle();
    } catch (error) {
      logger.warn("could not ack or nak the job message; it will be redelivered", { jobId, error });
    }
  };

  /**
   * A tracked job's record learns the outcome first: the first terminal status in the record
   * wins. If a cancel got there before us, the job is reported `cancelled`, with the usage the
   * upstream charged anyway.
   */
  const recordOutcome = async (
    job: JobSubmitted,
    event: TerminalEvent,
    known: StoredRecord | null | undefined,
  ): Promise<TerminalEvent> => {
    const stored = await statusStore.revise(job.tenant, job.id, markFinished(event), known);
    if (stored?.record.status !== "cancelled" || event.type === "cancelled") return event;
    const { route, attempts, latencyMs, usage, units, streamEnd, chunks } = event;
    const facts = { route, attempts, latencyMs, usage, units, streamEnd, chunks, reason: "client" as const };
    return cancelledEvent(job, facts, event.at);
  };

  const terminalEvent = (job: JobSubmitted, outcome: Outcome, receivedAt: number): TerminalEvent => {
    const now = clock.now();
    // The outcome carries every field its event needs; only the latency is added (see `identity` in events.ts on spreads).
    const latencyMs = now - receivedAt;
    switch (outcome.type) {
      case "completed":
        return completedEvent(job, Object.assign({}, outcome, { latencyMs }), now);
      case "failed":
        return failedEvent(job, Object.assign({}, outcome, { latencyMs }), now);
      case "cancelled":
        return cancelledEvent(job, Object.assign({}, outcome, { latencyMs }), now);
    }
  };

  return {
    publishPatiently: async (event) => {
      try {
        await patiently(`publish the ${event.type} event`, () => publish(event));
      } catch (error) {
        logger.error(`could not publish the ${event.type} event`, { jobId: event.jobId, error });
      }
    },

    alreadyFinished: async (job) => {
      const stored = await storedTerminal(job);
      if (stored === null) return false;
      if (stored === "unreadable") {
        if (job.webhook || job.replyTo !== undefined) {
          logger.error("the stored terminal event is unreadable; its webhook and reply cannot be sent", {
            jobId: job.id,
          });
        }
        return true;
      }
      // The record may not show it: a keyed job published again after its record was deleted
      // (a video's DELETE) has a fresh `queued` record. A failed write throws, and the job is
      // redelivered to try again.
      if (job.tracked) await statusStore.revise(job.tenant, job.id, markFinished(stored));
      if (job.webhook) await queueWebhook(bus.publisher, names, stored);
      reply(job, stored);
      return true;
    },

    finish: async (msg, job, outcome, receivedAt, earlier = Promise.resolve(), status) => {
      let event = terminalEvent(job, outcome, receivedAt);
      let recorded = job.tracked !== true;
      let duplicate = false;
      try {
        await patiently("publish the final event", async () => {
          if (!recorded) {
            event = await recordOutcome(job, event, status);
            recorded = true;
          }
          duplicate = (await publish(event)).duplicate;
        });
      } catch (error) {
        logger.error("could not publish the final event; the job will be redelivered", { jobId: job.id, error });
        settleMessage(() => msg.nak(config.backoffMaxMs), job.id);
        return;
      }
      // JetStream kept an earlier terminal event of this job (a concurrent delivery, or a keyed
      // job published again), so that one is the job's outcome: the waiting client gets it, not ours.
      if (duplicate) {
        const stored = await storedTerminal(job).catch(() => null);
        if (stored !== null && stored !== "unreadable") event = stored;
      }
      // The started, attempt and progress events go before the ack: once the job is acked,
      // nothing may be missing. They were published with or before the terminal one, so they
      // are stored by now as a rule; the reply waits for them too, so that it and the ack leave
      // in one socket write rather than two.
      await earlier;
      reply(job, event);
      settleMessage(() => msg.ack(), job.id);
      if (config.logJobs) {
        logger.info(`job ${event.type}`, { jobId: job.id, attempts: event.attempts, latencyMs: event.latencyMs });
      }
    },

    settleMessage,
  };
}
