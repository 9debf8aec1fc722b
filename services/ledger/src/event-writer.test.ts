import { randomBytes } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ROOT_CONTEXT, SpanKind, context, trace } from "@opentelemetry/api";
import { encodeJson, injectTraceContext, publishJson } from "@switchyard/bus";
import { eventMessageId, type JobEvent } from "@switchyard/contracts";
import { sql } from "kysely";
import { createDb, migrateToLatest } from "@switchyard/db";
import { startEventWriter, type EventWriter } from "./event-writer.js";
import {
  T0,
  attempt,
  cancelled,
  completed,
  failed,
  progressed,
  started,
  webhookAttempted,
} from "./test-support/events.js";
import { catalog, eventually, pgAdminUrl, recordingLogger, testDatabase, testStreams } from "./test-support/infra.js";
import { installRecordingTracer } from "./test-support/otel.js";

const tracing = installRecordingTracer();
const cleanups: Array<() => Promise<void>> = [];
const writers: EventWriter[] = [];

afterEach(async () => {
  await Promise.all(writers.splice(0).map((w) => w.stop()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => tracing.uninstall());

async function setup(options: { deferCreate?: boolean; batchSize?: number; flushMs?: number } = {}) {
  const database = await testDatabase({ deferCreate: options.deferCreate });
  cleanups.push(database.cleanup);
  const streams = await testStreams();
  cleanups.push(streams.cleanup);
  const logger = recordingLogger();
  const writer = await startEventWriter({
    js: streams.bus.js,
    names: streams.names,
    db: database.db,
    pricing: catalog,
    batchSize: options.batchSize ?? 100,
    flushMs: options.flushMs ?? 10,
    logger,
    retryDelayMs: 100,
  });
  writers.push(writer);
  /** Publishes events as a worker does, inside the trace of a client request; returns its trace id. */
  const publish = async (events: JobEvent[]): Promise<string> => {
    const request = trace.getTracer("test").startSpan("client request", { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    await context.with(trace.setSpan(ROOT_CONTEXT, request), async () => {
      for (const event of events) {
        await publishJson(streams.bus.js, streams.names.eventSubject(event.jobId, event.type), event, {
          msgId: eventMessageId(event),
        });
      }
    });
    request.end();
    return request.spanContext().traceId;
  };
  /** Publishes events again under new message ids, so JetStream's de-duplication does not catch them. */
  const republish = async (events: JobEvent[]): Promise<void> => {
    for (const event of events) {
      await streams.bus.js.publish(streams.names.eventSubject(event.jobId, event.type), encodeJson(event), {
        msgID: `${eventMessageId(event)}:again`,
        headers: injectTraceContext(),
      });
    }
  };
  const rawPublish = (subject: string, data: Uint8Array) =>
    streams.bus.js.publish(`${streams.names.namespace}.events.${subject}`, data);
  return { ...database, ...streams, writer, logger, publish, republish, rawPublish };
}

const jobsOf = (f: Awaited<ReturnType<typeof setup>>) => f.db.selectFrom("jobs").selectAll().orderBy("id").execute();
const usageOf = (f: Awaited<ReturnType<typeof setup>>) =>
  f.db.selectFrom("usage").selectAll().orderBy("job_id").execute();
const attemptsOf = (f: Awaited<ReturnType<typeof setup>>) =>
  f.db.selectFrom("attempts").selectAll().orderBy("job_id").orderBy("attempt_id").execute();

describe("event writer", () => {
  it("records jobs, attempts and usage from the events stream, with the request's trace id", async () => {
    const f = await setup();
    const a = { jobId: "job_writer_a" };
    const b = { jobId: "job_writer_b", model: "gpt-4o" };
    const traceA = await f.publish([started(a), attempt(a, "d1.a1"), completed(a)]);
    const traceB = await f.publish([
      started(b),
      attempt(b, "d1.a1", { outcome: "error", httpStatus: 503, retryInMs: 200, route: "sim-gpt-4o" }),
      failed(b, {
        route: "sim-gpt-4o",
        attempts: 1,
        usage: { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 },
      }),
    ]);

    const usage = await eventually(async () => {
      const rows = await usageOf(f);
      return rows.length === 2 ? rows : undefined;
    });
    await eventually(() => (f.writer.stats().written === 6 ? true : undefined));
    const jobs = await jobsOf(f);
    expect(jobs.map((j) => [j.id, j.status, j.attempts, j.http_status, j.trace_id])).toEqual([
      ["job_writer_a", "completed", 1, 200, traceA],
      ["job_writer_b", "failed", 1, 502, traceB],
    ]);
    expect(usage.map((u) => [u.job_id, u.outcome, u.prompt_tokens, u.cost_usd, u.trace_id])).toEqual([
      ["job_writer_a", "completed", 100, 0.000024, traceA],
      ["job_writer_b", "failed", 10, 0.000025, traceB],
    ]);
    const attempts = await attemptsOf(f);
    expect(attempts.map((x) => [x.job_id, x.outcome, x.retry_in_ms, x.trace_id])).toEqual([
      ["job_writer_a", "ok", null, traceA],
      ["job_writer_b", "error", 200, traceB],
    ]);

    // Each event gets a CONSUMER span, child of the publish that carried it, ended after the commit.
    const producers = tracing.spans.filter((s) => s.kind === SpanKind.PRODUCER && s.context.traceId === traceA);
    const records = tracing.spans.filter((s) => s.name.startsWith("ledger record") && s.context.traceId === traceA);
    expect(records.map((s) => s.name).sort()).toEqual([
      "ledger record attempt",
      "ledger record completed",
      "ledger record started",
    ]);
    for (const record of records) {
      expect(record.kind).toBe(SpanKind.CONSUMER);
      expect(record.ended).toBe(true);
      expect(producers.map((p) => p.context.spanId)).toContain(record.parent?.spanId);
    }
    const commits = tracing.spans.filter((s) => s.name === "ledger commit").map((c) => c.context.spanId);
    for (const record of records) {
      expect(record.links.map((l) => l.context.spanId).filter((id) => commits.includes(id))).toHaveLength(1);
    }
  });

  it("records progress, cancellations, media units and webhook deliveries from the stream", async () => {
    const f = await setup();
    const video = { jobId: "video_writer_v", kind: "video" as const, model: "sora-2", family: "video" };
    const chat = { jobId: "job_writer_c" };
    const delivery = { url: "https://hooks.example.com/v", eventType: "job.completed" };
    const events = [
      started(video),
      progressed(video, 10, { upstreamTaskId: "task_v" }),
      progressed(video, 35),
      progressed(video, 70),
      completed(video, {
        route: "sim-sora-2",
        usage: null,
        units: { images: 0, videoSeconds: 8 },
        webhook: { url: delivery.url },
      }),
      webhookAttempted(video, 1, {
        ...delivery,
        outcome: "failed",
        httpStatus: 500,
        error: "HTTP 500",
        retryInMs: 900,
      }),
      webhookAttempted(video, 2, { ...delivery, outcome: "delivered", httpStatus: 204 }),
      started(chat),
      cancelled(chat, {
        reason: "client_closed",
        streamEnd: "client_closed",
        usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 },
      }),
    ];
    const traceId = await f.publish(events);
    await eventually(() => (f.writer.stats().written === events.length ? true : undefined));

    const jobs = await jobsOf(f);
    expect(jobs.map((j) => [j.id, j.status, j.progress, j.upstream_task_id, j.stream_end, j.trace_id])).toEqual([
      ["job_writer_c", "cancelled", 0, null, "client_closed", traceId],
      ["video_writer_v", "completed", 100, "task_v", null, traceId],
    ]);
    const usage = await usageOf(f);
    expect(usage.map((u) => [u.job_id, u.outcome, u.stream_end, u.images, u.video_seconds, u.cost_usd])).toEqual([
      ["job_writer_c", "cancelled", "client_closed", 0, 0, 0.000018],
      ["video_writer_v", "completed", null, 0, 8, 0.8],
    ]);
    const deliveries = await f.db.selectFrom("webhook_deliveries").selectAll().orderBy("attempt").execute();
    expect(deliveries.map((d) => [d.job_id, d.webhook_id, d.attempt, d.outcome, d.http_status, d.trace_id])).toEqual([
      ["video_writer_v", "evt_writer_v", 1, "failed", 500, traceId],
      ["video_writer_v", "evt_writer_v", 2, "delivered", 204, traceId],
    ]);
    // Three progress events moved one job row: no history table grows with them.
    expect(await attemptsOf(f)).toEqual([]);
  });

  it("adds nothing when the same events come again under new message ids", async () => {
    const f = await setup();
    const jobs = Array.from({ length: 20 }, (_, i) => ({ jobId: `job_dup_${String(i).padStart(2, "0")}` }));
    const events = jobs.flatMap((job, i) => [
      started(job),
      attempt(job, "d1.a1"),
      progressed(job, 50, { upstreamTaskId: `task_${i}` }),
      i % 2 === 0 ? completed(job) : cancelled(job),
      webhookAttempted(job, 1),
    ]);
    await f.publish(events);
    await eventually(() => (f.writer.stats().written === events.length ? true : undefined));
    const deliveriesOf = () => f.db.selectFrom("webhook_deliveries").selectAll().orderBy("job_id").execute();
    const snapshot = async () => ({
      jobs: await jobsOf(f),
      attempts: await attemptsOf(f),
      usage: await usageOf(f),
      deliveries: await deliveriesOf(),
    });
    const before = await snapshot();
    expect(before.usage).toHaveLength(20);

    // Terminal events first this time, and a late `started` of a second delivery.
    await f.republish([...events].reverse());
    await f.republish([started(jobs[0]!, T0 + 60_000, 2)]);
    await eventually(() => (f.writer.stats().written === events.length * 2 + 1 ? true : undefined));
    const after = await snapshot();
    const withoutUpdatedAt = (rows: typeof before.jobs) => rows.map(({ updated_at: _u, ...rest }) => rest);
    expect(withoutUpdatedAt(after.jobs)).toEqual(withoutUpdatedAt(before.jobs));
    expect(after.attempts).toEqual(before.attempts);
    expect(after.usage).toEqual(before.usage);
    expect(after.deliveries).toEqual(before.deliveries);
    expect(before.deliveries).toHaveLength(20);
  });

  it("acks events it does not record, and drops invalid ones and ones the database refuses, without holding back the rest", async () => {
    const f = await setup();
    const good = { jobId: "job_good" };
    // A type some newer producer added: not the ledger's to judge, so it is acked unread.
    await f.rawPublish("job_x.accepted", encodeJson({ version: 1, type: "accepted", jobId: "job_x" }));
    await f.rawPublish("job_y.completed", new TextEncoder().encode("{not json"));
    await f.rawPublish("job_z.completed", encodeJson({ ...completed({ jobId: "job_z" }), tenant: undefined }));
    // Valid for the contract, but too large for the integer column: PostgreSQL refuses the row.
    await f.publish([
      started(good),
      attempt({ jobId: "job_poison" }, "d1.a1", { httpStatus: 3_000_000_000 }),
      completed(good),
    ]);

    await eventually(() => {
      const s = f.writer.stats();
      return s.written === 2 && s.dropped === 3 && s.ignored === 1 ? true : undefined;
    });
    expect((await jobsOf(f)).map((j) => [j.id, j.status])).toEqual([["job_good", "completed"]]);
    expect(f.logger.lines.filter((l) => l.includes("dropping event"))).toHaveLength(3);
    // Nothing is left for redelivery: every message was settled.
    const info = await f.bus.jsm.consumers.info(f.names.eventsStream, f.names.ledgerConsumer);
    expect(info.num_ack_pending + info.num_pending).toBe(0);
  });

  it("drops an event with a value too large for an index (program limit, not a data exception) without holding back the rest", async () => {
    const f = await setup();
    const good = { jobId: "job_good" };
    // 4,000 random hex characters: beyond a btree entry's 2,704 bytes, compressed or not (SQLSTATE 54000).
    const tenant = randomBytes(2_000).toString("hex");
    await f.publish([started(good), completed({ jobId: "job_huge_tenant", tenant }), completed(good)]);

    await eventually(() => {
      const s = f.writer.stats();
      return s.written === 2 && s.dropped === 1 ? true : undefined;
    });
    expect((await jobsOf(f)).map((j) => [j.id, j.status])).toEqual([["job_good", "completed"]]);
    expect(f.writer.stats().failedBatches).toBe(0);
    const info = await f.bus.jsm.consumers.info(f.names.eventsStream, f.names.ledgerConsumer);
    expect(info.num_ack_pending + info.num_pending).toBe(0);
  });

  it("keeps events unacked while the database is unreachable, and writes them once it is back", async () => {
    const f = await setup({ deferCreate: true });
    const jobs = Array.from({ length: 5 }, (_, i) => ({ jobId: `job_outage_${i}` }));
    await f.publish(jobs.flatMap((job) => [started(job), completed(job)]));

    await eventually(() => (f.writer.stats().failedBatches >= 2 ? true : undefined));
    const info = await f.bus.jsm.consumers.info(f.names.eventsStream, f.names.ledgerConsumer);
    expect(info.ack_floor.stream_seq).toBe(0);
    expect(f.writer.stats().written).toBe(0);
    // One line per failed batch, not one per event.
    const failures = f.logger.lines.filter((l) => l.includes("not written"));
    expect(failures.length).toBe(f.writer.stats().failedBatches);

    await f.tmp.create();
    await migrateToLatest(f.db);
    const usage = await eventually(async () => {
      const rows = await usageOf(f);
      return rows.length === 5 ? rows : undefined;
    });
    expect(usage.map((u) => u.job_id)).toEqual(jobs.map((j) => j.jobId));
    expect(f.logger.lines.some((l) => l.includes("writes resumed"))).toBe(true);
    await eventually(async () => {
      const after = await f.bus.jsm.consumers.info(f.names.eventsStream, f.names.ledgerConsumer);
      return after.num_ack_pending + after.num_pending === 0 ? true : undefined;
    });
  });

  it("survives its connections being cut and the database refusing new ones, then catches up", async () => {
    const f = await setup();
    const admin = createDb({ url: pgAdminUrl, max: 1 });
    cleanups.push(() => admin.destroy());
    const name = sql.id(f.tmp.name);
    const first = { jobId: "job_cut_0" };
    await f.publish([started(first), completed(first)]);
    await eventually(async () => ((await usageOf(f)).length === 1 ? true : undefined));

    // What an outage of just this test's database looks like to the ledger (see test/faults.e2e).
    await sql`alter database ${name} allow_connections false`.execute(admin);
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${f.tmp.name}`.execute(admin);
    const jobs = Array.from({ length: 5 }, (_, i) => ({ jobId: `job_cut_${i + 1}` }));
    await f.publish(jobs.flatMap((job) => [started(job), completed(job)]));
    await eventually(() => (f.writer.stats().failedBatches >= 1 ? true : undefined));
    await sql`alter database ${name} allow_connections true`.execute(admin);

    await eventually(async () => ((await usageOf(f)).length === 6 ? true : undefined));
    expect((await jobsOf(f)).every((j) => j.status === "completed")).toBe(true);
  });

  it("writes the batch in hand when stopped", async () => {
    const f = await setup({ batchSize: 10_000, flushMs: 60_000 });
    const job = { jobId: "job_stop" };
    await f.publish([started(job), completed(job)]);
    await eventually(async () => {
      const info = await f.bus.jsm.consumers.info(f.names.eventsStream, f.names.ledgerConsumer);
      return info.num_pending === 0 ? true : undefined;
    });
    expect(await usageOf(f)).toHaveLength(0);
    await writers.splice(0)[0]!.stop();
    expect(await usageOf(f)).toHaveLength(1);
  });
});
