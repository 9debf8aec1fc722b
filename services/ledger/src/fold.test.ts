import { describe, expect, it } from "vitest";
import type { JobEvent } from "@switchyard/contracts";
import { fold, type RecordedEvent } from "./fold.js";
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
import { catalog } from "./test-support/infra.js";

const rec = (...events: JobEvent[]): RecordedEvent[] => events.map((event) => ({ event, traceId: "a".repeat(32) }));
const job = { jobId: "job_a" };

describe("fold", () => {
  it("merges the events of one job into one row of each kind", () => {
    const batch = fold(rec(started(job), attempt(job, "d1.a1"), completed(job)), catalog);
    expect(batch.jobs).toHaveLength(1);
    expect(batch.jobs[0]).toMatchObject({
      id: "job_a",
      tenant: "acme",
      kind: "chat",
      family: "openai",
      model: "gpt-4o-mini",
      status: "completed",
      route: "sim-gpt-4o-mini",
      attempts: 1,
      http_status: 200,
      error_code: null,
      created_at: new Date(T0),
      started_at: new Date(T0 + 10),
      finished_at: new Date(T0 + 600),
      latency_ms: 600,
      trace_id: "a".repeat(32),
    });
    expect(batch.attempts).toEqual([
      expect.objectContaining({
        job_id: "job_a",
        attempt_id: "d1.a1",
        outcome: "ok",
        latency_ms: 480,
        http_status: 200,
      }),
    ]);
    expect(batch.usage).toEqual([
      expect.objectContaining({
        job_id: "job_a",
        outcome: "completed",
        route: "sim-gpt-4o-mini",
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        cached_tokens: 40,
        reasoning_tokens: 5,
        recorded_at: new Date(T0 + 600),
      }),
    ]);
  });

  it("prices usage from the catalog, cached prompt tokens at the cached rate", () => {
    const [usage] = fold(rec(completed(job)), catalog).usage;
    // 60 uncached * 0.15 + 40 cached * 0.075 + 20 completion * 0.60, per million tokens.
    expect(usage?.cost_usd).toBeCloseTo((60 * 0.15 + 40 * 0.075 + 20 * 0.6) / 1e6, 12);
  });

  it("never lets a late non-terminal event undo a terminal one, in any order", () => {
    const orders: JobEvent[][] = [
      [started(job, T0 + 10), completed(job), started(job, T0 + 5, 2), attempt(job, "d2.a1")],
      [completed(job), started(job, T0 + 5, 2), started(job, T0 + 10)],
    ];
    for (const events of orders) {
      const [row] = fold(rec(...events), catalog).jobs;
      expect(row).toMatchObject({ status: "completed", route: "sim-gpt-4o-mini", attempts: 1, http_status: 200 });
      expect(row?.started_at).toEqual(new Date(T0 + 5));
    }
  });

  it("keeps the first terminal outcome of a job, for the job row and the usage row alike", () => {
    const batch = fold(rec(completed(job), failed(job, { attempts: 4 })), catalog);
    expect(batch.jobs[0]).toMatchObject({ status: "completed", http_status: 200, error_code: null, attempts: 4 });
    expect(batch.usage).toHaveLength(1);
    expect(batch.usage[0]?.outcome).toBe("completed");
  });

  it("records a zero usage row for a failure with neither usage nor route, so request counts are complete", () => {
    const batch = fold(rec(started(job), failed(job)), catalog);
    expect(batch.jobs[0]).toMatchObject({
      status: "failed",
      route: null,
      attempts: 3,
      error_code: "upstream_unavailable",
      error_message: "upstream unavailable",
      http_status: 502,
      latency_ms: 900,
    });
    expect(batch.usage[0]).toMatchObject({
      outcome: "failed",
      route: null,
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      cost_usd: 0,
    });
  });

  it("prices the partial usage of a failed job on its route", () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 7, total_tokens: 1007 };
    const [row] = fold(rec(failed(job, { route: "sim-gpt-4o", usage })), catalog).usage;
    expect(row).toMatchObject({ outcome: "failed", route: "sim-gpt-4o", prompt_tokens: 1000, completion_tokens: 7 });
    expect(row?.cost_usd).toBeCloseTo((1000 * 2.5 + 7 * 10) / 1e6, 12);
  });

  it("costs an unknown route nothing rather than failing", () => {
    const [row] = fold(rec(completed(job, { route: "gone" })), catalog).usage;
    expect(row).toMatchObject({ route: "gone", cost_usd: 0, prompt_tokens: 100 });
  });

  it("deduplicates attempts and sorts every table by key", () => {
    const b = { jobId: "job_b" };
    const batch = fold(
      rec(attempt(b, "d1.a2"), attempt(job, "d1.a1"), attempt(b, "d1.a1"), attempt(b, "d1.a2", { outcome: "error" })),
      catalog,
    );
    expect(batch.jobs.map((j) => j.id)).toEqual(["job_a", "job_b"]);
    expect(batch.attempts.map((a) => `${a.job_id}/${a.attempt_id}/${a.outcome}`)).toEqual([
      "job_a/d1.a1/ok",
      "job_b/d1.a1/ok",
      "job_b/d1.a2/ok",
    ]);
    expect(batch.jobs.every((j) => j.status === "in_progress" && j.attempts === 0)).toBe(true);
  });

  it("strips NUL characters, which PostgreSQL text cannot hold", () => {
    const error = { message: "bad\u0000byte", type: "server_error", code: "x\u0000", param: null, status: 502 };
    const [row] = fold(rec(failed(job, { error })), catalog).jobs;
    expect(row).toMatchObject({ error_message: "badbyte", error_code: "x" });
  });

  it("moves a job's progress and upstream task with progress events, without a row of their own", () => {
    const video = { jobId: "video_a", kind: "video" as const, model: "sora-2", family: "video" };
    const batch = fold(
      rec(
        started(video),
        progressed(video, 10),
        progressed(video, 55.5, { upstreamTaskId: "task_1" }),
        progressed(video, 40, { upstreamTaskId: "task_2" }),
      ),
      catalog,
    );
    expect(batch.jobs).toEqual([
      expect.objectContaining({ id: "video_a", status: "in_progress", progress: 55.5, upstream_task_id: "task_1" }),
    ]);
    expect(batch.attempts).toEqual([]);
    expect(batch.usage).toEqual([]);
    expect(batch.webhookDeliveries).toEqual([]);
  });

  it("puts a completed job at 100% and keeps a finished job's status against a late progress event", () => {
    const [row] = fold(
      rec(progressed(job, 30), completed(job), progressed(job, 60, { upstreamTaskId: "t" })),
      catalog,
    ).jobs;
    expect(row).toMatchObject({ status: "completed", progress: 100, upstream_task_id: "t", http_status: 200 });
  });

  it("records a cancelled job as terminal, with a usage row of its partial usage", () => {
    const usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 };
    const batch = fold(
      rec(started(job), cancelled(job, { reason: "client_closed", usage, streamEnd: "client_closed" })),
      catalog,
    );
    expect(batch.jobs[0]).toMatchObject({
      status: "cancelled",
      error_code: "client_closed",
      http_status: null,
      route: "sim-gpt-4o-mini",
      stream_end: "client_closed",
      finished_at: new Date(T0 + 700),
      latency_ms: 700,
    });
    expect(batch.usage).toEqual([
      expect.objectContaining({
        outcome: "cancelled",
        stream_end: "client_closed",
        prompt_tokens: 100,
        completion_tokens: 20,
      }),
    ]);
    expect(batch.usage[0]?.cost_usd).toBeCloseTo((100 * 0.15 + 20 * 0.6) / 1e6, 12);
    const [byClient] = fold(rec(cancelled(job)), catalog).jobs;
    expect(byClient).toMatchObject({ status: "cancelled", error_code: "cancelled", stream_end: null });
    // Called off by the ingress, whose stream broke: not blamed on the client.
    const [broken] = fold(rec(cancelled(job, { reason: "stream_broken", streamEnd: "error" })), catalog).jobs;
    expect(broken).toMatchObject({ status: "cancelled", error_code: "stream_broken", stream_end: "error" });
    expect(broken?.error_message).toMatch(/stream broke/);
  });

  it("lets the first terminal event win between cancelled and the others, for job and usage rows", () => {
    const first = fold(rec(cancelled(job), completed(job)), catalog);
    expect(first.jobs[0]).toMatchObject({
      status: "cancelled",
      error_code: "cancelled",
      http_status: null,
      progress: 0,
    });
    expect(first.usage.map((u) => u.outcome)).toEqual(["cancelled"]);
    const second = fold(
      rec(completed(job, { streamEnd: "done" }), cancelled(job, { streamEnd: "client_closed" })),
      catalog,
    );
    expect(second.jobs[0]).toMatchObject({ status: "completed", error_code: null, stream_end: "done" });
    expect(second.usage).toEqual([expect.objectContaining({ outcome: "completed", stream_end: "done" })]);
  });

  it("records how a stream ended on the job and its usage", () => {
    const batch = fold(rec(failed(job, { streamEnd: "error", route: "sim-gpt-4o" })), catalog);
    expect(batch.jobs[0]?.stream_end).toBe("error");
    expect(batch.usage[0]?.stream_end).toBe("error");
  });

  it("counts and prices images and video seconds", () => {
    const image = { jobId: "job_img", kind: "image" as const, model: "gpt-image-1" };
    const video = { jobId: "video_v", kind: "video" as const, model: "sora-2", family: "video" };
    const tokens = { prompt_tokens: 50, completion_tokens: 4160, total_tokens: 4210 };
    const { usage } = fold(
      rec(
        completed(image, { route: "sim-gpt-image-1", usage: tokens, units: { images: 2, videoSeconds: 0 } }),
        completed(video, { route: "sim-sora-2", usage: null, units: { images: 0, videoSeconds: 8 } }),
        completed(job),
      ),
      catalog,
    );
    const [chat, img, vid] = usage; // sorted by job id
    expect(img).toMatchObject({ job_id: "job_img", images: 2, video_seconds: 0, total_tokens: 4210 });
    expect(img?.cost_usd).toBeCloseTo((50 * 5 + 4160 * 40) / 1e6 + 2 * 0.04, 8);
    expect(vid).toMatchObject({ job_id: "video_v", images: 0, video_seconds: 8, total_tokens: 0, cost_usd: 0.8 });
    expect(chat).toMatchObject({ job_id: "job_a", images: 0, video_seconds: 0 });
  });

  it("keeps one row per webhook delivery attempt, and leaves the job's outcome alone", () => {
    const batch = fold(
      rec(
        completed(job),
        webhookAttempted(job, 2, { outcome: "delivered", httpStatus: 204 }),
        webhookAttempted(job, 1, { outcome: "failed", httpStatus: 500, error: "HTTP 500", retryInMs: 1000.4 }),
        webhookAttempted(job, 1, { outcome: "delivered" }),
      ),
      catalog,
    );
    expect(batch.jobs).toEqual([expect.objectContaining({ status: "completed", http_status: 200, progress: 100 })]);
    expect(batch.webhookDeliveries).toEqual([
      {
        job_id: "job_a",
        webhook_id: "evt_a",
        attempt: 1,
        url: "https://hooks.example.com/switchyard",
        event_type: "job.completed",
        http_status: 500,
        outcome: "failed",
        error: "HTTP 500",
        latency_ms: 120,
        retry_in_ms: 1000,
        attempted_at: new Date(T0 + 2_000 - 120),
        trace_id: "a".repeat(32),
      },
      expect.objectContaining({ attempt: 2, outcome: "delivered", http_status: 204, retry_in_ms: null }),
    ]);
    // Alone in its batch, a webhook event still makes the row its foreign key needs, as a running job.
    const alone = fold(rec(webhookAttempted(job, 3)), catalog);
    expect(alone.jobs).toEqual([expect.objectContaining({ id: "job_a", status: "in_progress", attempts: 0 })]);
  });
});
