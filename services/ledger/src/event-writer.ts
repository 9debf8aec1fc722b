import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  trace,
  type Context,
  type Span,
} from "@opentelemetry/api";
import type { ConsumerMessages, JetStreamClient, JsMsg } from "./nats-types.js";
import type { Kysely } from "kysely";
import { DEFAULT_ACK_WAIT_MS, decodeJson, extractTraceContext, pullExpiresMs } from "@switchyard/bus";
import { JobEvent, type Names } from "@switchyard/contracts";
import type { Database } from "@switchyard/db";
import { fold, type Pricing } from "./fold.js";
import { persistBatch } from "./persist.js";
import { Signal } from "./signal.js";
import type { Logger } from "./logger.js";

const tracer = trace.getTracer("@switchyard/ledger");

/** Event types the ledger records; others on `events.>` (types a newer producer added) are acked unread. */
const RECORDED = new Set<string>(["started", "attempt", "progress", "completed", "failed", "cancelled", "webhook"]);
const SUPPORTED_VERSION = 1;
/** A newer ledger will understand a newer event: leave it in the stream, retried this often. */
const UNSUPPORTED_VERSION_DELAY_MS = 30_000;
const MAX_BACKOFF_MS = 5_000;

export interface EventWriterOptions {
  js: JetStreamClient;
  names: Names;
  db: Kysely<Database>;
  pricing: Pricing;
  /** Events per transaction. */
  batchSize: number;
  /** How long a partial batch waits for more events. */
  flushMs: number;
  logger: Logger;
  /** Redelivery delay of the events of a batch that could not be written; also the first backoff. */
  retryDelayMs?: number;
  /**
   * Transactions in flight at once. Two overlap one batch's commit with the next one's
   * statements; more rarely help. Batches commute (every merge is order-independent), and rows
   * are locked in key order, so concurrent batches cannot deadlock each other.
   */
  maxInFlight?: number;
}

export interface EventWriterStats {
  /** Events committed and acked. */
  written: number;
  batches: number;
  /** Transactions that failed for a reason unrelated to their data (database unreachable). */
  failedBatches: number;
  /** Events dropped because they are not valid events or the database refused their data. */
  dropped: number;
  /** Events of types the ledger does not record. */
  ignored: number;
}

export interface EventWriter {
  /** Stops pulling, writes what was already received, and settles when both loops ended. */
  stop(): Promise<void>;
  stats(): Readonly<EventWriterStats>;
}

interface Pending {
  readonly msg: JsMsg;
  readonly event: JobEvent;
  readonly traceId: string | null;
  readonly span: Span;
  readonly receivedAt: number;
}

type Outcome = "written" | "retry";

/**
 * Pulls the durable `ledger` consumer and writes events in batches: up to `batchSize` events
 * or `flushMs` of waiting, folded and written in one transaction, acked only after the commit.
 * A batch that cannot be written is nak'ed (redelivered after a delay) and the loop backs off
 * and carries on: a database outage delays the ledger but loses nothing, and writes resume on
 * their own when the pool can connect again. While batches are written (`maxInFlight` at a
 * time), the next one gathers, so NATS and PostgreSQL work overlap.
 *
 * @example
 * const writer = await startEventWriter({ js: bus.js, names, db, pricing: catalog, batchSize: 500, flushMs: 20, logger });
 * await writer.stop();
 */
export async function startEventWriter(options: EventWriterOptions): Promise<EventWriter> {
  const { names, db, pricing, batchSize, flushMs, logger } = options;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const maxInFlight = options.maxInFlight ?? 2;
  const consumer = await options.js.consumers.get(names.eventsStream, names.ledgerConsumer);
  // Pull requests expire within half the consumer's own ack wait (see `pullExpiresMs`), read
  // from the consumer as it exists rather than assumed: nats.js fetched its info just now.
  const ackWaitNanos = (await consumer.info(true)).config.ack_wait;
  const pullExpires = pullExpiresMs(ackWaitNanos ? Math.floor(ackWaitNanos / 1e6) : DEFAULT_ACK_WAIT_MS);
  const stats: EventWriterStats = { written: 0, batches: 0, failedBatches: 0, dropped: 0, ignored: 0 };
  const buffer: Pending[] = [];
  const maxBuffered = batchSize * 2;
  const wake = new Signal();
  const space = new Signal();
  const stopped = new Signal();
  const reported = new Set<string>();
  let stopping = false;
  let readerDone = false;
  let messages: ConsumerMessages | undefined;

  const reportOnce = (key: string, line: string): void => {
    if (reported.has(key)) return;
    reported.add(key);
    logger.warn(line);
  };

  const drop = (msg: JsMsg, reason: string): void => {
    stats.dropped++;
    logger.error(`ledger: dropping event ${msg.subject} (stream seq ${msg.seq}): ${reason}`);
    msg.term();
  };

  const accept = (msg: JsMsg): void => {
    let raw: unknown;
    try {
      raw = decodeJson(msg.data);
    } catch {
      drop(msg, "payload is not JSON");
      return;
    }
    const head = (typeof raw === "object" && raw !== null ? raw : {}) as { type?: unknown; version?: unknown };
    if (typeof head.type === "string" && !RECORDED.has(head.type)) {
      stats.ignored++;
      msg.ack();
      return;
    }
    if (typeof head.version === "number" && head.version > SUPPORTED_VERSION) {
      reportOnce(`v${head.version}`, `ledger: events of version ${head.version} wait in the stream for a newer ledger`);
      msg.nak(UNSUPPORTED_VERSION_DELAY_MS);
      return;
    }
    const parsed = JobEvent.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      drop(msg, `invalid event: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "unknown"}`);
      return;
    }
    const event = parsed.data;
    const parent = extractTraceContext(msg.headers, ROOT_CONTEXT);
    const span = tracer.startSpan(
      `ledger record ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          "messaging.system": "nats",
          "messaging.operation.type": "process",
          "messaging.destination.name": msg.subject,
          "messaging.nats.delivery_count": msg.info.deliveryCount,
          "switchyard.job_id": event.jobId,
          "db.system.name": "postgresql",
        },
      },
      parent,
    );
    if (buffer.length === 0) wake.notify();
    buffer.push({ msg, event, traceId: traceIdOf(parent, msg), span, receivedAt: Date.now() });
    if (buffer.length >= batchSize) wake.notify();
  };

  const settle = (items: readonly Pending[], outcome: "ack" | "nak" | "term", error?: unknown): void => {
    for (const item of items) {
      try {
        if (outcome === "ack") item.msg.ack();
        else if (outcome === "nak") item.msg.nak(retryDelayMs);
        else item.msg.term();
      } catch {
        // The connection is closing: an unsent ack means one redelivery, which changes nothing.
      }
      if (error !== undefined) {
        item.span.recordException(error instanceof Error ? error : new Error(String(error)));
        item.span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
      }
      item.span.end();
    }
  };

  /** Writes `items` in one transaction; on a data error, splits them to find the event at fault. */
  const write = async (items: readonly Pending[]): Promise<Outcome> => {
    const commit = tracer.startSpan(
      "ledger commit",
      { kind: SpanKind.INTERNAL, attributes: { "db.system.name": "postgresql", "ledger.batch.events": items.length } },
      ROOT_CONTEXT,
    );
    // Each event's span links to the commit that wrote it. The other way round, one span with a
    // link per event, lost every link past the SDK's limit (128) in a batch of up to 500.
    const written = { context: commit.spanContext() };
    for (const item of items) item.span.addLink(written);
    try {
      const rows = fold(items, pricing);
      await context.with(trace.setSpan(ROOT_CONTEXT, commit), () => persistBatch(db, rows));
      commit.end();
      settle(items, "ack");
      stats.written += items.length;
      stats.batches++;
      return "written";
    } catch (error) {
      commit.recordException(error instanceof Error ? error : new Error(String(error)));
      commit.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
      commit.end();
      if (!isDataError(error)) {
        settle(items, "nak", error);
        stats.failedBatches++;
        logger.warn(`ledger: batch of ${items.length} events not written, redelivering: ${messageOf(error)}`);
        return "retry";
      }
      // The database refused the data itself, which retrying cannot fix: isolate the culprit so
      // one bad event does not hold back every event that shares its batch.
      if (items.length === 1) {
        const [item] = items as [Pending];
        stats.dropped++;
        logger.error(
          `ledger: dropping event ${item.msg.subject} (stream seq ${item.msg.seq}): the database refused it: ${messageOf(error)}`,
        );
        settle(items, "term", error);
        return "written";
      }
      const half = Math.ceil(items.length / 2);
      const first = await write(items.slice(0, half));
      if (first === "retry") {
        settle(items.slice(half), "nak", error);
        return "retry";
      }
      return write(items.slice(half));
    }
  };

  const readLoop = async (): Promise<void> => {
    while (!stopping) {
      try {
        messages = await consumer.consume({ max_messages: maxBuffered, expires: pullExpires });
        if (stopping) await messages.close();
        for await (const msg of messages) {
          accept(msg);
          while (buffer.length >= maxBuffered && !stopping) await space.wait();
        }
      } catch (error) {
        if (!stopping) logger.warn(`ledger: consuming events failed, retrying: ${messageOf(error)}`);
      }
      // The iterator only ends by itself when the client gave up on the consumer; pull again.
      if (!stopping) await stopped.wait(retryDelayMs);
    }
  };

  const writeLoop = async (): Promise<void> => {
    const inFlight = new Set<Promise<unknown>>();
    let failures = 0;
    let failedSinceLastWait = false;
    const launch = (items: Pending[]): void => {
      const settled = write(items).catch((error: unknown): Outcome => {
        logger.error(`ledger: writing a batch failed unexpectedly: ${messageOf(error)}`);
        return "retry";
      });
      inFlight.add(settled);
      void settled.then((outcome) => {
        inFlight.delete(settled);
        if (outcome === "written") {
          if (failures > 0 && !failedSinceLastWait) {
            logger.info(`ledger: writes resumed after ${failures} failed batches`);
            failures = 0;
          }
        } else {
          failures++;
          failedSinceLastWait = true;
        }
        wake.notify();
      });
    };
    for (;;) {
      if (failedSinceLastWait) {
        // Back off with nothing in flight, so a database outage costs one failed batch per wait.
        await Promise.all(inFlight);
        failedSinceLastWait = false;
        if (stopping) {
          // Shutting down with the database away: hand everything back to the stream now.
          await readerFinished;
          settle(buffer.splice(0), "nak");
          return;
        }
        await stopped.wait(Math.min(MAX_BACKOFF_MS, retryDelayMs * 2 ** (failures - 1)));
        continue;
      }
      if (inFlight.size >= maxInFlight) {
        await wake.wait();
        continue;
      }
      const oldest = buffer[0];
      if (!oldest) {
        if (readerDone) {
          await Promise.all(inFlight);
          if (!failedSinceLastWait) return;
          continue;
        }
        await wake.wait();
        continue;
      }
      const due = oldest.receivedAt + flushMs - Date.now();
      if (buffer.length < batchSize && !stopping && due > 0) {
        await wake.wait(due);
        continue;
      }
      const items = buffer.splice(0, batchSize);
      space.notify();
      launch(items);
    }
  };

  const readerFinished = readLoop().finally(() => {
    readerDone = true;
    wake.notify();
  });
  const writerFinished = writeLoop();

  return {
    stats: () => ({ ...stats }),
    stop: async () => {
      stopping = true;
      stopped.notify();
      wake.notify();
      space.notify();
      await messages?.close();
      await readerFinished;
      await writerFinished;
    },
  };
}

/**
 * The trace id of the request behind an event. It is read from the propagated context, and
 * straight from the `traceparent` header when this process runs without the OpenTelemetry SDK
 * (its propagator is then a no-op): the column is for analysts, whether or not we trace.
 */
function traceIdOf(parent: Context, msg: JsMsg): string | null {
  const spanContext = trace.getSpanContext(parent);
  if (spanContext && isSpanContextValid(spanContext)) return spanContext.traceId;
  const header = msg.headers?.get("traceparent") ?? "";
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header.trim());
  return match?.[1] && !/^0+$/.test(match[1]) ? match[1] : null;
}

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation), and 54000
 * (program limit exceeded: a value too large for an index entry): the rows are at fault.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^2[23][0-9A-Z]{3}$/.test(code) || code === "54000");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
