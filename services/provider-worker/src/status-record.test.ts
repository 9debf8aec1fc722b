import { describe, expect, it } from "vitest";
import { UpstreamUnavailableError, type JobRecord } from "@switchyard/contracts";
import { cancelledEvent, chatCompletedEvent, failedEvent } from "./events.js";
import { markFinished, markProgress, markStarted } from "./status-record.js";
import { completion, job } from "./test-support/fakes.js";

const j = job({ tracked: true });
const record = (overrides: Partial<JobRecord> = {}): JobRecord => ({
  version: 1,
  id: j.id,
  tenant: j.tenant,
  kind: j.kind,
  family: j.family,
  model: j.model,
  status: "queued",
  progress: 0,
  createdAt: j.createdAt,
  startedAt: null,
  finishedAt: null,
  request: j.request,
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
    const done = chatCompletedEvent(j, { route: "a", attempts: 1, latencyMs: 5, completion: completion() }, 500);
    expect(markFinished(done)(record({ status: "in_progress", progress: 30 }))).toMatchObject({
      status: "completed",
      progress: 100,
      finishedAt: 500,
      result: done.result,
      usage: done.usage,
      error: null,
    });
    const broken = failedEvent(
      j,
      { route: "a", attempts: 3, latencyMs: 5, error: new UpstreamUnavailableError("503") },
      600,
    );
    expect(markFinished(broken)(record({ status: "in_progress", progress: 30 }))).toMatchObject({
      status: "failed",
      progress: 30,
      error: { code: "upstream_unavailable", status: 502 },
      result: null,
    });
  });

  it("leaves the first terminal status alone, only adding the usage a cancelled job was charged", () => {
    const done = chatCompletedEvent(j, { route: "a", attempts: 1, latencyMs: 5, completion: completion() }, 500);
    expect(markFinished(done)(record({ status: "cancelled" }))).toMatchObject({
      status: "cancelled",
      usage: done.usage,
    });
    expect(markFinished(done)(record({ status: "cancelled", usage: done.usage }))).toBeNull();
    expect(markFinished(done)(record({ status: "failed" }))).toBeNull();
    const cancelled = cancelledEvent(j, { route: null, attempts: 0, latencyMs: 1, reason: "client" }, 9);
    expect(markFinished(cancelled)(record({ status: "in_progress" }))).toMatchObject({
      status: "cancelled",
      finishedAt: 9,
    });
  });
});
