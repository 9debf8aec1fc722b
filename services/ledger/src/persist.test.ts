import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobEvent } from "@switchyard/contracts";
import { fold } from "./fold.js";
import { persistBatch } from "./persist.js";
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
import { catalog, testDatabase } from "./test-support/infra.js";

let fixture: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  fixture = await testDatabase();
});
afterAll(async () => {
  await fixture?.cleanup();
});

const write = (...events: JobEvent[]) =>
  persistBatch(
    fixture.db,
    fold(
      events.map((event) => ({ event, traceId: "b".repeat(32) })),
      catalog,
    ),
  );

const snapshot = async (jobId: string) => ({
  job: await fixture.db.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirst(),
  attempts: await fixture.db
    .selectFrom("attempts")
    .selectAll()
    .where("job_id", "=", jobId)
    .orderBy("attempt_id")
    .execute(),
  usage: await fixture.db.selectFrom("usage").selectAll().where("job_id", "=", jobId).execute(),
  deliveries: await fixture.db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("job_id", "=", jobId)
    .orderBy("attempt")
    .execute(),
});

describe("persistBatch", () => {
  it("writes a job, its attempts and its usage, and changes nothing when the batch comes again", async () => {
    const job = { jobId: "job_persist_1" };
    const events = [
      started(job),
      attempt(job, "d1.a1", { outcome: "error", httpStatus: 503 }),
      attempt(job, "d1.a2"),
      completed(job, { attempts: 2 }),
    ];
    await write(...events);
    const first = await snapshot(job.jobId);
    expect(first.job).toMatchObject({ status: "completed", attempts: 2, latency_ms: 600, trace_id: "b".repeat(32) });
    expect(first.attempts.map((a) => [a.attempt_id, a.outcome, a.http_status])).toEqual([
      ["d1.a1", "error", 503],
      ["d1.a2", "ok", 200],
    ]);
    expect(first.usage).toHaveLength(1);
    expect(first.usage[0]?.cost_usd).toBe(0.000024); // (60*0.15 + 40*0.075 + 20*0.6) per million

    await write(...events);
    await write(events[3]!, events[0]!);
    const again = await snapshot(job.jobId);
    expect({ ...again, job: { ...again.job, updated_at: null } }).toEqual({
      ...first,
      job: { ...first.job, updated_at: null },
    });
  });

  it("keeps a stored terminal status against later non-terminal events, and the earliest start", async () => {
    const job = { jobId: "job_persist_2" };
    await write(completed(job));
    await write(started(job, T0 + 50, 2), attempt(job, "d2.a1"));
    await write(started(job, T0 + 5, 1));
    const { job: row } = await snapshot(job.jobId);
    expect(row).toMatchObject({ status: "completed", route: "sim-gpt-4o-mini", http_status: 200, attempts: 1 });
    expect(row?.started_at).toEqual(new Date(T0 + 5));
  });

  it("keeps the first stored outcome when a second terminal event arrives in a later batch", async () => {
    const job = { jobId: "job_persist_3" };
    await write(started(job), failed(job, { route: "sim-gpt-4o", attempts: 2 }));
    await write(completed(job, { attempts: 5 }));
    const { job: row, usage } = await snapshot(job.jobId);
    expect(row).toMatchObject({
      status: "failed",
      route: "sim-gpt-4o",
      http_status: 502,
      error_code: "upstream_unavailable",
      attempts: 5,
    });
    expect(usage.map((u) => u.outcome)).toEqual(["failed"]);
  });

  it("moves a running job to its outcome when the terminal event comes in a later batch", async () => {
    const job = { jobId: "job_persist_4" };
    await write(started(job));
    await write(failed(job));
    const { job: row, usage } = await snapshot(job.jobId);
    expect(row).toMatchObject({
      status: "failed",
      http_status: 502,
      attempts: 3,
      error_message: "upstream unavailable",
    });
    expect(row?.finished_at).toEqual(new Date(T0 + 900));
    expect(usage).toHaveLength(1);
  });

  it("writes batches larger than a multi-row VALUES list could hold", async () => {
    const events = Array.from({ length: 6_000 }, (_, i) => completed({ jobId: `job_bulk_${i}` }));
    await write(...events);
    const { count } = await fixture.db
      .selectFrom("usage")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("job_id", "like", "job_bulk_%")
      .executeTakeFirstOrThrow();
    expect(count).toBe(6_000);
  });

  it("keeps progress monotonic across batches, the first upstream task id, and 100 once completed", async () => {
    const video = { jobId: "video_persist_5", kind: "video" as const, model: "sora-2", family: "video" };
    await write(started(video), progressed(video, 20, { upstreamTaskId: "task_a" }));
    await write(progressed(video, 60.25));
    await write(progressed(video, 40, { upstreamTaskId: "task_b" }));
    let { job: row } = await snapshot(video.jobId);
    expect(row).toMatchObject({ status: "in_progress", progress: 60.25, upstream_task_id: "task_a" });
    await write(completed(video, { route: "sim-sora-2", usage: null, units: { images: 0, videoSeconds: 4 } }));
    await write(progressed(video, 80));
    ({ job: row } = await snapshot(video.jobId));
    expect(row).toMatchObject({ status: "completed", progress: 100, upstream_task_id: "task_a", http_status: 200 });
  });

  it("records a cancellation as the outcome, with its usage row, and keeps it against a later terminal event", async () => {
    const job = { jobId: "job_persist_6" };
    const usage = { prompt_tokens: 200, completion_tokens: 10, total_tokens: 210 };
    await write(started(job), cancelled(job, { reason: "client_closed", usage, streamEnd: "client_closed" }));
    await write(completed(job, { streamEnd: "done", attempts: 2 }));
    const { job: row, usage: rows } = await snapshot(job.jobId);
    expect(row).toMatchObject({
      status: "cancelled",
      error_code: "client_closed",
      http_status: null,
      stream_end: "client_closed",
      progress: 0,
      attempts: 2,
    });
    expect(rows).toEqual([
      expect.objectContaining({
        outcome: "cancelled",
        stream_end: "client_closed",
        prompt_tokens: 200,
        completion_tokens: 10,
        cost_usd: 0.000036, // (200 * 0.15 + 10 * 0.6) per million
      }),
    ]);
  });

  it("moves a running job to cancelled when the cancellation comes in a later batch", async () => {
    const job = { jobId: "job_persist_7" };
    await write(started(job), progressed(job, 5));
    await write(cancelled(job));
    const { job: row, usage } = await snapshot(job.jobId);
    expect(row).toMatchObject({ status: "cancelled", error_code: "cancelled", finished_at: new Date(T0 + 700) });
    expect(usage.map((u) => u.outcome)).toEqual(["cancelled"]);
  });

  it("stores images and video seconds with their cost", async () => {
    const image = { jobId: "job_persist_8", kind: "image" as const, model: "gpt-image-1" };
    await write(completed(image, { route: "sim-gpt-image-1", usage: null, units: { images: 3, videoSeconds: 0 } }));
    const video = { jobId: "video_persist_9", kind: "video" as const, model: "sora-2", family: "video" };
    await write(completed(video, { route: "sim-sora-2", usage: null, units: { images: 0, videoSeconds: 12.5 } }));
    expect((await snapshot(image.jobId)).usage).toEqual([
      expect.objectContaining({ images: 3, video_seconds: 0, cost_usd: 0.12 }),
    ]);
    expect((await snapshot(video.jobId)).usage).toEqual([
      expect.objectContaining({ images: 0, video_seconds: 12.5, cost_usd: 1.25 }),
    ]);
  });

  it("writes each webhook delivery attempt once, whatever the order and however often it comes", async () => {
    const job = { jobId: "job_persist_10" };
    const attempts = [
      webhookAttempted(job, 1, { outcome: "failed", httpStatus: 503, error: "HTTP 503", retryInMs: 1_000 }),
      webhookAttempted(job, 2, { outcome: "failed", httpStatus: null, error: "timed out", retryInMs: 2_000 }),
      webhookAttempted(job, 3, { outcome: "delivered", httpStatus: 200 }),
    ];
    // The first attempt's event can reach the ledger before the job's terminal event.
    await write(attempts[0]!);
    await write(completed(job), attempts[1]!);
    await write(...attempts, attempts[2]!);
    const first = await snapshot(job.jobId);
    expect(first.job).toMatchObject({ status: "completed", http_status: 200, progress: 100 });
    expect(first.deliveries.map((d) => [d.attempt, d.outcome, d.http_status, d.error, d.retry_in_ms])).toEqual([
      [1, "failed", 503, "HTTP 503", 1_000],
      [2, "failed", null, "timed out", 2_000],
      [3, "delivered", 200, null, null],
    ]);
    expect(first.deliveries[0]).toMatchObject({
      webhook_id: "evt_persist_10",
      url: "https://hooks.example.com/switchyard",
      event_type: "job.completed",
      latency_ms: 120,
      attempted_at: new Date(T0 + 2_000 - 120),
      trace_id: "b".repeat(32),
    });
    await write(...[...attempts].reverse());
    const again = await snapshot(job.jobId);
    expect(again.deliveries).toEqual(first.deliveries);
    expect(again.usage).toEqual(first.usage);
  });

  it("writes a batch whole or not at all: a row the database refuses keeps the rest of its batch out", async () => {
    const job = { jobId: "job_persist_atomic" };
    const batch = fold(
      [started(job), attempt(job, "d1.a1"), completed(job)].map((event) => ({ event, traceId: null })),
      catalog,
    );
    const orphan = { ...batch.attempts[0]!, job_id: "job_persist_never_stored", attempt_id: "d1.a9" };
    await expect(persistBatch(fixture.db, { ...batch, attempts: [...batch.attempts, orphan] })).rejects.toMatchObject({
      code: "23503",
    });
    expect(await snapshot(job.jobId)).toEqual({ job: undefined, attempts: [], usage: [], deliveries: [] });

    await persistBatch(fixture.db, batch);
    expect((await snapshot(job.jobId)).job).toMatchObject({ status: "completed" });
  });
});
