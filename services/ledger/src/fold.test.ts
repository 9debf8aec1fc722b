import { describe, expect, it } from "vitest";
import type { JobEvent } from "@switchyard/contracts";
import { fold, type RecordedEvent } from "./fold.js";
import { T0, attempt, completed, failed, started } from "./test-support/events.js";
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
});
