import type {
  AttemptRecorded,
  JobCancelled,
  JobCompleted,
  JobFailed,
  JobProgressed,
  JobStarted,
  WebhookAttempted,
} from "@switchyard/contracts";

/** Epoch ms of 2026-11-26T10:00:00Z: fixed, so days in assertions are known. */
export const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

interface Identity {
  jobId: string;
  tenant?: string;
  model?: string;
  family?: string;
  createdAt?: number;
  kind?: "chat" | "image" | "video";
}

function identity(job: Identity) {
  return {
    version: 1 as const,
    jobId: job.jobId,
    tenant: job.tenant ?? "acme",
    kind: job.kind ?? ("chat" as const),
    family: job.family ?? "openai",
    model: job.model ?? "gpt-4o-mini",
    createdAt: job.createdAt ?? T0,
  };
}

export function started(job: Identity, at = T0 + 10, delivery = 1): JobStarted {
  return { ...identity(job), type: "started", at, delivery, worker: "w1" };
}

export function attempt(job: Identity, attemptId: string, overrides: Partial<AttemptRecorded> = {}): AttemptRecorded {
  return {
    ...identity(job),
    type: "attempt",
    at: T0 + 500,
    attemptId,
    route: "sim-gpt-4o-mini",
    upstreamModel: "gpt-4o-mini",
    outcome: "ok",
    startedAt: T0 + 20,
    latencyMs: 480.4,
    httpStatus: 200,
    error: null,
    retryInMs: null,
    ...overrides,
  };
}

export function completed(job: Identity, overrides: Partial<JobCompleted> = {}): JobCompleted {
  return {
    ...identity(job),
    type: "completed",
    at: T0 + 600,
    route: "sim-gpt-4o-mini",
    attempts: 1,
    latencyMs: 590,
    result: { object: "chat.completion" },
    usage: {
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 5 },
    },
    streamEnd: null,
    webhook: null,
    units: null,
    ...overrides,
  };
}

export function failed(job: Identity, overrides: Partial<JobFailed> = {}): JobFailed {
  return {
    ...identity(job),
    type: "failed",
    at: T0 + 900,
    route: null,
    attempts: 3,
    latencyMs: 890,
    error: {
      message: "upstream unavailable",
      type: "server_error",
      code: "upstream_unavailable",
      param: null,
      status: 502,
    },
    usage: null,
    streamEnd: null,
    webhook: null,
    units: null,
    ...overrides,
  };
}

export function progressed(job: Identity, progress: number, overrides: Partial<JobProgressed> = {}): JobProgressed {
  return {
    ...identity(job),
    type: "progress",
    at: T0 + 100 + progress,
    progress,
    upstreamTaskId: null,
    ...overrides,
  };
}

export function cancelled(job: Identity, overrides: Partial<JobCancelled> = {}): JobCancelled {
  return {
    ...identity(job),
    type: "cancelled",
    at: T0 + 700,
    route: "sim-gpt-4o-mini",
    attempts: 1,
    latencyMs: 690,
    reason: "client",
    usage: null,
    streamEnd: null,
    webhook: null,
    units: null,
    ...overrides,
  };
}

export function webhookAttempted(
  job: Identity,
  attempt: number,
  overrides: Partial<WebhookAttempted> = {},
): WebhookAttempted {
  return {
    ...identity(job),
    type: "webhook",
    at: T0 + 1_000 + attempt * 1_000,
    webhookId: `evt_${job.jobId.slice(job.jobId.indexOf("_") + 1)}`,
    attempt,
    url: "https://hooks.example.com/switchyard",
    eventType: "job.completed",
    httpStatus: 200,
    outcome: "delivered",
    error: null,
    latencyMs: 120.4,
    retryInMs: null,
    ...overrides,
  };
}
