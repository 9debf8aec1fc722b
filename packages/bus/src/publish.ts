import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeJson } from "./codec.js";
import type { StreamPublisher } from "./stream-publisher.js";
import { injectTraceContext } from "./trace-headers.js";

const tracer = trace.getTracer("@switchyard/bus");

export interface PublishOptions {
  /** `Nats-Msg-Id`: JetStream drops a second message with the same id inside its window. */
  msgId: string;
  /** Extra span attributes, e.g. the job id. */
  attributes?: Record<string, string | number>;
}

/**
 * Publishes a JSON payload to JetStream and waits for the stream's ack, inside a PRODUCER span
 * whose context travels in the message headers.
 *
 * @example
 * await publishJson(bus.publisher, "jobs.openai.chat", job, { msgId: job.id });
 */
export function publishJson(
  publisher: StreamPublisher,
  subject: string,
  payload: unknown,
  options: PublishOptions,
): Promise<PubAck> {
  return publishEncoded(publisher, subject, encodeJson(payload), options);
}

/** `publishJson` for a payload encoded already (one event stored and sent on, say). */
export async function publishEncoded(
  publisher: StreamPublisher,
  subject: string,
  payload: Uint8Array,
  options: PublishOptions,
): Promise<PubAck> {
  const span = tracer.startSpan(`publish ${subject.split(".", 3).slice(0, 2).join(".")}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      "messaging.system": "nats",
      "messaging.operation.type": "send",
      "messaging.destination.name": subject,
      "messaging.message.id": options.msgId,
      ...options.attributes,
    },
  });
  const ctx = trace.setSpan(context.active(), span);
  try {
    const ack = await publisher.publish(subject, payload, {
      msgID: options.msgId,
      headers: injectTraceContext(undefined, ctx),
    });
    if (ack.duplicate) span.setAttribute("messaging.nats.duplicate", true);
    return ack;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** A core NATS publish (no persistence) carrying trace context, for data that needs no durability. */
export function publishCore(nc: NatsConnection, subject: string, payload: Uint8Array): void {
  nc.publish(subject, payload, { headers: injectTraceContext() });
}
