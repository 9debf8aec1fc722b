import type { JetStreamManager, PubAck, StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  TERMINAL_EVENT_TYPES,
  eventMessageId,
  webhookDueMessageId,
  type Names,
  type TerminalEvent,
} from "@switchyard/contracts";
import { encodeJson } from "./codec.js";
import { publishCore, publishEncoded } from "./publish.js";
import type { StreamPublisher } from "./stream-publisher.js";

/**
 * The bytes of terminal events, encoded once: the same event is stored in EVENTS, queued on
 * WEBHOOKS and sent to the waiting ingress, and at ~1 KB each encoding is not free.
 */
const encoded = new WeakMap<TerminalEvent, Uint8Array>();

function bytesOf(event: TerminalEvent): Uint8Array {
  let bytes = encoded.get(event);
  if (bytes === undefined) {
    bytes = encodeJson(event);
    encoded.set(event, bytes);
  }
  return bytes;
}

/**
 * Stores a job's terminal event on `EVENTS` and, when the job asked for a webhook, queues the
 * same event on `WEBHOOKS` for the dispatcher; resolves once both are stored. Every producer of
 * terminal events goes through here, so no webhook job can end without its webhook queued.
 *
 * @example
 * await publishTerminal(bus.publisher, names, completedEvent);
 */
export async function publishTerminal(
  publisher: StreamPublisher,
  names: Names,
  event: TerminalEvent,
  attributes?: Record<string, string | number>,
): Promise<PubAck> {
  const [stored] = await Promise.all([
    publishEncoded(publisher, names.eventSubject(event.jobId, event.type), bytesOf(event), {
      msgId: eventMessageId(event),
      attributes,
    }),
    event.webhook ? queueWebhook(publisher, names, event) : undefined,
  ]);
  return stored;
}

/**
 * Queues a terminal event's webhook (again). One message id per job, so a producer that cannot
 * tell whether an earlier try landed (a redelivered job) may simply call it once more.
 */
export function queueWebhook(publisher: StreamPublisher, names: Names, event: TerminalEvent): Promise<PubAck> {
  return publishEncoded(publisher, names.webhookSubject(event.jobId), bytesOf(event), {
    msgId: webhookDueMessageId(event.jobId),
    attributes: { "switchyard.job_id": event.jobId },
  });
}

/**
 * Tells the ingress waiting on a synchronous job (its `replyTo`) how the job ended. Call it only
 * once `publishTerminal` has resolved: a client is never answered with an outcome that is not
 * stored. Core NATS, so a reply lost to a reconnect is found in EVENTS at the deadline instead.
 */
export function replyTerminal(nc: NatsConnection, replyTo: string, event: TerminalEvent): void {
  publishCore(nc, `${replyTo}.${event.type}`, bytesOf(event));
}

/**
 * The job's terminal event as stored in `EVENTS`, undecoded, or null. Terminal events share one
 * `Nats-Msg-Id` per job, so at most one of the three subjects holds one.
 */
export async function findTerminalMessage(
  jsm: JetStreamManager,
  names: Names,
  jobId: string,
): Promise<StoredMsg | null> {
  // `getMessage` answers null when the subject has no message.
  const found = await Promise.all(
    TERMINAL_EVENT_TYPES.map((type) =>
      jsm.streams.getMessage(names.eventsStream, { last_by_subj: names.eventSubject(jobId, type) }),
    ),
  );
  return found.find((message) => message !== null) ?? null;
}
