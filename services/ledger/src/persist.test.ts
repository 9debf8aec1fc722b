import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobEvent } from "@switchyard/contracts";
import { fold } from "./fold.js";
import { persistBatch } from "./persist.js";
import { T0, attempt, completed, failed, started } from "./test-support/events.js";
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
});
