import { describe, expect, it } from "vitest";
import type { JobCancelled, JobCompleted, JobFailed } from "./events.js";
import type { JobRecord } from "./jobs.js";
import { markFinished, markProgress, markStarted } from "./job-record.js";

const identity = {
  version: 1 as const,
  jobId: "job_1",
  tenant: "tenant-a",
  kind: "chat" as const,
  family: "openai",
  model: "gpt-4o-mini",
  createdAt: 10,
};
const terminal = { streamEnd: null, webhook: null, units: null };
const usage = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };

const completed = (at: number): JobCompleted => ({
  ...identity,
  ...terminal,
  type: "completed",
  at,
  route: "a",
  attempts: 1,
  latencyMs: 5,
  result: { object: "chat.completion", choices: [] },
  usage,
});
const failed = (at: number): JobFailed => ({
  ...identity,
  ...terminal,
  type: "failed",
  at,
  route: "a",
  attempts: 3,
  latencyMs: 5,
  error: { message: "503", type: "upstream_error", code: "upstream_unavailable", param: null, status: 502 },
  usage: null,
});
const cancelled = (at: number): JobCancelled => ({
  ...identity,
  ...terminal,
  type: "cancelled",
  at,
  route: null,
  attempts: 0,
  latencyMs: 1,
  reason: "client",
  usage: null,
});

const record = (overrides: Partial<JobRecord> = {}): JobRecord => ({
  version: 1,
  id: identity.jobId,
  tenant: identity.tenant,
  kind: identity.kind,
  family: identity.family,
  model: identity.model,
  status: "queued",
  progress: 0,
  createdAt: identity.createdAt,
  startedAt: null,
  finishedAt: null,
  request: { model: identity.model, messages: [] },
  metadata: null,
  webhook: null,
  error: null,
  result: null,
  usage: null,
  jobsSeq: 7,
  upstreamTaskId: null,
  ...overrides,
});

describe("status record transitions", () => {
  it("starts a queued job once, keeping the first start time across redeliveries", () => {
    expect(markStarted(100)(record())).toMatchObject({ status: "in_progress", startedAt: 100 });
    expect(markStarted(200)(record({ status: "in_progress", startedAt: 100 }))).toBeNull();
    expect(markStarted(200)(record({ status: "cancelled" }))).toBeNull();
  });

  it("moves progress forward only, and keeps the upstream task id", () => {
    const running = record({ status: "in_progress", progress: 40, upstreamTaskId: "vt_1" });
    expect(markProgress({ progress: 60 })(running)).toMatchObject({ progress: 60, upstreamTaskId: "vt_1" });
    expect(markProgress({ progress: 20 })(running)).toBeNull();
    expect(markProgress({ progress: 40, upstreamTaskId: "vt_1" })(running)).toBeNull();
    expect(markProgress({ progress: 0, upstreamTaskId: "vt_2" })(record())).toMatchObject({
      status: "in_progress",
      upstreamTaskId: "vt_2",
    });
    expect(markProgress({ progress: 90 })(record({ status: "failed" }))).toBeNull();
  });

  it("records the outcome: result and usage on completion, the error on failure", () => {
    const done = completed(500);
    expect(markFinished(done)(record({ status: "in_progress", progress: 30 }))).toMatchObject({
      status: "completed",
      progress: 100,
      finishedAt: 500,
      result: done.result,
      usage: done.usage,
      error: null,
    });
    const broken = failed(600);
    expect(markFinished(broken)(record({ status: "in_progress", progress: 30 }))).toMatchObject({
      status: "failed",
      progress: 30,
      error: { code: "upstream_unavailable", status: 502 },
      result: null,
    });
  });

  it("leaves the first terminal status alone, only adding the usage a cancelled job was charged", () => {
    const done = completed(500);
    expect(markFinished(done)(record({ status: "cancelled" }))).toMatchObject({
      status: "cancelled",
      usage: done.usage,
    });
    expect(markFinished(done)(record({ status: "cancelled", usage: done.usage }))).toBeNull();
    expect(markFinished(done)(record({ status: "failed" }))).toBeNull();
    expect(markFinished(cancelled(9))(record({ status: "in_progress" }))).toMatchObject({
      status: "cancelled",
      finishedAt: 9,
    });
  });
});
