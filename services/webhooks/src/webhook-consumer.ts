import type { Span } from "@opentelemetry/api";
import { ZodError } from "zod";
import { decodeJson, publishJson, type StatusStore } from "@switchyard/bus";
import {
  JobEvent,
  WebhookAttempted,
  eventMessageId,
  isTerminal,
  type JobRecord,
  type Names,
  type TerminalEvent,
} from "@switchyard/contracts";
import type { Deliverer, DeliveryResult } from "./delivery.js";
import type { Logger } from "./logger.js";
import type { JetStreamClient, JetStreamManager, JsMsg } from "./nats-types.js";
import { webhookEventId, webhookEventOf } from "./render.js";
import { nextStep, type RetryPolicyConfig } from "./retry-policy.js";
import { webhookHeaders } from "./signing.js";

export interface WebhookConsumerOptions {
  /** Where each attempt is published as a `webhook` event, for the ledger. */
  js: JetStreamClient;
  /** Reads a job's last published attempt back from `EVENTS`. */
  streams: Pick<JetStreamManager["streams"], "getMessage">;
  names: Names;
  /** The jobs' status records, rendered as the webhook's `data`. */
  statuses: Pick<StatusStore, "get">;
  /** Tenant -> `whsec_` signing secret. */
  secrets: ReadonlyMap<string, string>;
  deliverer: Pick<Deliverer, "deliver">;
  policy: RetryPolicyConfig;
  logger: Logger;
  now?: () => number;
  random?: () => number;
}

export interface WebhookConsumer {
  /** Handles one terminal event and acks or naks it; throws only when NATS fails (the loop naks then). */
  handle(msg: JsMsg, span: Span): Promise<void>;
}

/**
 * Delivers the webhook of a terminal job event. One delivery of the event message is one
 * attempt: JetStream's delivery count is the attempt number (or the last published attempt's
 * number plus one, when that is higher), a failed attempt naks the message with the backoff
 * delay, and the last one (or a delivered one) acks it. JetStream therefore
 * holds every pending retry, and a restarted dispatcher carries on where the last one stopped.
 * Each attempt is published as a `webhook` event before the message is settled, so the ledger
 * sees every attempt; a crash in between means one more attempt, with the same `webhook-id`.
 *
 * @example
 * const consumer = createWebhookConsumer({ js, streams: jsm.streams, names, statuses, secrets, deliverer, policy, logger });
 * await startConsumeLoop(jsConsumer, { concurrency: 64, spanName: "deliver webhook", handle: consumer.handle });
 */
export function createWebhookConsumer(options: WebhookConsumerOptions): WebhookConsumer {
  const { js, streams, names, statuses, secrets, deliverer, policy, logger } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;

  const parse = (msg: JsMsg): JobEvent | undefined => {
    let raw: unknown;
    try {
      raw = decodeJson(msg.data);
    } catch {
      raw = undefined;
    }
    const parsed = JobEvent.safeParse(raw);
    if (parsed.success) return parsed.data;
    logger.error(`dropping event ${msg.subject} (stream seq ${msg.seq}): not a valid job event`);
    msg.term();
    return undefined;
  };

  /** The job's status record; a record this version cannot read is rendered from the event instead. */
  const recordOf = async (event: TerminalEvent): Promise<JobRecord | null> => {
    try {
      return (await statuses.get(event.tenant, event.jobId))?.record ?? null;
    } catch (error) {
      if (!(error instanceof ZodError)) throw error;
      logger.warn(`job ${event.jobId}: unreadable status record; the webhook is rendered from its event`);
      return null;
    }
  };

  /** The job's last attempt as published (the stream keeps it 7 days); null if none or unreadable. */
  const lastAttemptOf = async (jobId: string): Promise<WebhookAttempted | null> => {
    const stored = await streams.getMessage(names.eventsStream, { last_by_subj: names.eventSubject(jobId, "webhook") });
    if (!stored) return null;
    try {
      const parsed = WebhookAttempted.safeParse(decodeJson(stored.data));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  };

  const attempt = async (event: TerminalEvent, url: string, webhookId: string): Promise<DeliveryResult> => {
    const secret = secrets.get(event.tenant);
    if (!secret) {
      return {
        delivered: false,
        permanent: true,
        httpStatus: null,
        error: `no webhook signing secret is configured for tenant ${event.tenant}`,
        latencyMs: 0,
        retryAfterMs: undefined,
      };
    }
    const body = JSON.stringify(webhookEventOf(event, await recordOf(event)));
    // The timestamp is this attempt's: receivers reject stale ones, so a retry is signed anew.
    const headers = webhookHeaders(secret, webhookId, Math.floor(now() / 1000), body);
    return deliverer.deliver({ url, body, headers });
  };

  return {
    handle: async (msg, span) => {
      const event = parse(msg);
      if (!event) return;
      if (!isTerminal(event) || !event.webhook) {
        msg.ack();
        return;
      }
      const webhookId = webhookEventId(event.jobId);
      // The webhook may be queued again once its last attempt is past: a keyed job submitted
      // again, or a job redelivered after it finished, queues it anew, and past JetStream's
      // duplicate window that is a second message, whose delivery count starts at 1 again (as
      // nats-server 2.9 may also restart it after a crash). The attempts already published
      // decide instead: nothing is sent twice once an attempt ended the webhook, and numbers
      // (the ledger's key) go on from the last attempt's.
      const last = await lastAttemptOf(event.jobId);
      if (last?.webhookId === webhookId && last.outcome !== "failed") {
        msg.ack();
        return;
      }
      const number = Math.max(msg.info.deliveryCount, last?.webhookId === webhookId ? last.attempt + 1 : 1);
      const { url } = event.webhook;
      const result = await attempt(event, url, webhookId);
      const step = nextStep(result, number, policy, random);
      const attempted: WebhookAttempted = {
        version: 1,
        jobId: event.jobId,
        tenant: event.tenant,
        kind: event.kind,
        family: event.family,
        model: event.model,
        createdAt: event.createdAt,
        at: now(),
        type: "webhook",
        webhookId,
        attempt: number,
        url,
        eventType: `job.${event.type}`,
        httpStatus: result.httpStatus,
        outcome: step.outcome,
        error: result.error,
        latencyMs: result.latencyMs,
        retryInMs: step.action === "retry" ? step.delayMs : null,
      };
      span.setAttributes({
        "switchyard.job_id": event.jobId,
        "webhook.id": webhookId,
        "webhook.attempt": number,
        "webhook.outcome": step.outcome,
        ...(result.httpStatus !== null && { "http.response.status_code": result.httpStatus }),
      });
      await publishJson(js, names.eventSubject(event.jobId, "webhook"), attempted, {
        msgId: eventMessageId(attempted),
        attributes: { "switchyard.job_id": event.jobId },
      });
      if (step.action === "retry") {
        logger.warn(
          `job ${event.jobId}: webhook attempt ${number} failed (${result.error}); retrying in ${step.delayMs} ms`,
        );
        msg.nak(step.delayMs);
        return;
      }
      if (step.outcome === "gave_up") {
        logger.warn(`job ${event.jobId}: gave up on the webhook after attempt ${number}: ${result.error}`);
      }
      msg.ack();
    },
  };
}
