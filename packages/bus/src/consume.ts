import { SpanKind, SpanStatusCode, context, trace, type Span } from "@opentelemetry/api";
import type { Consumer, JsMsg } from "@nats-io/jetstream";
import { extractTraceContext } from "./trace-headers.js";

const tracer = trace.getTracer("@switchyard/bus");

export interface ConsumeLoop {
  /** Stops pulling, then waits for the handlers already running. */
  stop(): Promise<void>;
  /** Settles when the loop ends (after stop, or when the consumer is deleted). */
  readonly done: Promise<void>;
}

export interface ConsumeLoopOptions {
  /** Handlers running at once; also the number of messages pulled ahead. */
  concurrency: number;
  /** The consumer's ack wait: each pull request expires well before it (see `pullExpiresMs`). */
  ackWaitMs: number;
  spanName: string;
  /**
   * Handles one message and acks, naks or terms it. It runs inside a CONSUMER span whose parent
   * is the publisher's context. A throw is logged and the message nak'ed for redelivery.
   */
  handle(msg: JsMsg, span: Span): Promise<void>;
  onError?(error: unknown, msg: JsMsg): void;
}

/**
 * How long a pull request stays open on the server, for a consumer with this ack wait: half of
 * it, between nats.js's floor of 1 s and its default of 30 s.
 *
 * A pull request must be gone before an ack wait ends. When a process dies holding a message,
 * nats-server 2.9 (fixed in 2.10.14: nats-server#5305, #5338) still has the pull requests that
 * process left open; at the ack wait's end it tries to redeliver to one of them, finds no one
 * there, and then hands the message to a live consumer with a wrong delivery count (1 again,
 * or one too many), sometimes twice. Measured here: a crash with 30 s pull requests and a 3 s
 * ack wait gave the next consumer the message with counts 1, or 3 and then 1; with 1 s pull
 * requests, once, with count 2.
 */
export function pullExpiresMs(ackWaitMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.floor(ackWaitMs / 2)));
}

/**
 * Pulls from a durable consumer and runs up to `concurrency` handlers at once. Messages are not
 * pulled faster than they are handled, so none waits in a local buffer while its ack timer runs.
 *
 * @example
 * const loop = await startConsumeLoop(consumer, { concurrency: 64, ackWaitMs: 30_000, spanName: "process job", handle });
 */
export async function startConsumeLoop(consumer: Consumer, options: ConsumeLoopOptions): Promise<ConsumeLoop> {
  const messages = await consumer.consume({
    max_messages: options.concurrency,
    expires: pullExpiresMs(options.ackWaitMs),
  });
  const running = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;

  const run = async (msg: JsMsg): Promise<void> => {
    const parent = extractTraceContext(msg.headers);
    const span = tracer.startSpan(
      options.spanName,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          "messaging.system": "nats",
          "messaging.operation.type": "process",
          "messaging.destination.name": msg.subject,
          "messaging.nats.delivery_count": msg.info.deliveryCount,
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), () => options.handle(msg, span));
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      options.onError?.(error, msg);
      msg.nak(1000);
    } finally {
      span.end();
    }
  };

  const done = (async () => {
    for await (const msg of messages) {
      while (running.size >= options.concurrency) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
      }
      const task = run(msg).finally(() => {
        running.delete(task);
        slotFreed?.();
        slotFreed = undefined;
      });
      running.add(task);
    }
    await Promise.allSettled([...running]);
  })();

  return {
    done,
    stop: async () => {
      await messages.close();
      await done;
    },
  };
}
