import { describe, expect, it } from "vitest";
import type { JobCancelled, JobCompleted, JobFailed, JobRecord } from "@switchyard/contracts";
import { renderForEvent, renderJob, webhookEventId, webhookEventOf } from "./render.js";

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const identity = {
  version: 1 as const,
  jobId: "video_0AbC1234xyz",
  tenant: "acme",
  kind: "video" as const,
  family: "video",
  model: "sora-2",
  createdAt: T0,
};
const terminal = { streamEnd: null, webhook: { url: "https://hooks.example.com/x" }, units: null };
const completed: JobCompleted = {
  ...identity,
  ...terminal,
  type: "completed",
  at: T0 + 90_500,
  route: "sim-sora-2",
  attempts: 1,
  latencyMs: 90_000,
  result: { artifact: "video_0AbC1234xyz.mp4", contentType: "video/mp4", bytes: 1234 },
  usage: null,
  units: { images: 0, videoSeconds: 8 },
};
const error = {
  message: "upstream unavailable",
  type: "server_error",
  code: "upstream_unavailable",
  param: null,
  status: 502,
};
const failed: JobFailed = { ...completed, type: "failed", route: null, error, usage: null };
const cancelled: JobCancelled = { ...completed, type: "cancelled", reason: "client", usage: null };

const record: JobRecord = {
  version: 1,
  id: identity.jobId,
  tenant: "acme",
  kind: "video",
  family: "video",
  model: "sora-2",
  status: "completed",
  progress: 100,
  createdAt: T0,
  startedAt: T0 + 1_999,
  finishedAt: T0 + 90_400,
  request: { prompt: "a lighthouse" },
  metadata: { order: "42" },
  webhook: { url: "https://hooks.example.com/x" },
  error: null,
  result: { artifact: "video_0AbC1234xyz.mp4", contentType: "video/mp4", bytes: 1234 },
  usage: null,
  jobsSeq: 17,
  upstreamTaskId: "task_1",
};

describe("render", () => {
  it("renders a status record as the job API's job object, times in unix seconds", () => {
    expect(renderJob(record)).toEqual({
      id: "video_0AbC1234xyz",
      object: "job",
      type: "video.generation",
      model: "sora-2",
      status: "completed",
      progress: 100,
      created_at: T0 / 1000,
      started_at: T0 / 1000 + 1,
      completed_at: T0 / 1000 + 90,
      queue_position: null,
      error: null,
      result: record.result,
      metadata: { order: "42" },
    });
  });

  it("builds the webhook event: evt_ id from the job id, the event type, the record as data", () => {
    expect(webhookEventId("job_0AbC")).toBe("evt_0AbC");
    expect(webhookEventId("video_0AbC")).toBe("evt_0AbC");
    expect(webhookEventOf(completed, record)).toEqual({
      id: "evt_0AbC1234xyz",
      object: "event",
      type: "job.completed",
      created_at: T0 / 1000 + 90,
      data: renderJob(record),
    });
  });

  it("renders from the event when the job has no record", () => {
    expect(webhookEventOf(failed, null)).toEqual({
      id: "evt_0AbC1234xyz",
      object: "event",
      type: "job.failed",
      created_at: T0 / 1000 + 90,
      data: {
        id: "video_0AbC1234xyz",
        object: "job",
        type: "video.generation",
        model: "sora-2",
        status: "failed",
        progress: 0,
        created_at: T0 / 1000,
        started_at: null,
        completed_at: T0 / 1000 + 90,
        queue_position: null,
        error: { message: "upstream unavailable", type: "server_error", param: null, code: "upstream_unavailable" },
        result: null,
        metadata: null,
      },
    });
    expect(webhookEventOf(cancelled, null)).toMatchObject({
      type: "job.cancelled",
      data: { status: "cancelled", error: null, result: null },
    });
  });

  it("takes the outcome from the event when the record does not show it yet", () => {
    const running: JobRecord = { ...record, status: "in_progress", progress: 60, finishedAt: null, result: null };
    expect(renderForEvent(completed, running)).toMatchObject({
      status: "completed",
      progress: 100,
      started_at: T0 / 1000 + 1,
      completed_at: T0 / 1000 + 90,
      result: completed.result,
      metadata: { order: "42" },
    });
    expect(renderForEvent(failed, running)).toMatchObject({
      status: "failed",
      progress: 60,
      error: { code: "upstream_unavailable" },
      result: null,
    });
  });
});
