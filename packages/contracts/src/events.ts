import { z } from "zod";
import { ModelKind } from "./openai/models.js";
import { Usage } from "./openai/chat.js";
import { CancelReason } from "./streaming.js";

/** Identity of the job every event repeats, so the ledger can write a job row from any one. */
const JobIdentity = {
  version: z.literal(1),
  jobId: z.string(),
  tenant: z.string(),
  kind: ModelKind,
  family: z.string(),
  model: z.string(),
  /** Epoch ms when the ingress accepted the job. */
  createdAt: z.number().int(),
  /** Epoch ms when this event was emitted. */
  at: z.number().int(),
};

export const EventError = z.object({
  message: z.string(),
  type: z.string(),
  code: z.string().nullable(),
  param: z.string().nullable(),
  /** The HTTP status the public API answers with for this failure. */
  status: z.number().int(),
});
export type EventError = z.infer<typeof EventError>;

export const JobStarted = z.object({
  ...JobIdentity,
  type: z.literal("started"),
  /** JetStream delivery count of the job message: above 1 after a crash or a lost ack. */
  delivery: z.number().int().positive(),
  worker: z.string(),
});
export type JobStarted = z.infer<typeof JobStarted>;

export const AttemptRecorded = z.object({
  ...JobIdentity,
  type: z.literal("attempt"),
  /** Unique within the job across deliveries: `d<delivery>.a<n>`. */
  attemptId: z.string(),
  route: z.string(),
  upstreamModel: z.string(),
  outcome: z.enum(["ok", "error"]),
  startedAt: z.number().int(),
  latencyMs: z.number().nonnegative(),
  httpStatus: z.number().int().nullable(),
  error: EventError.nullable(),
  /** Delay before the next attempt when this one failed and another follows. */
  retryInMs: z.number().nonnegative().nullable(),
});
export type AttemptRecorded = z.infer<typeof AttemptRecorded>;

/** How a streamed answer ended, for the ledger: `null` for calls that did not stream. */
export const StreamEnd = z.enum(["done", "error", "client_closed"]);
export type StreamEnd = z.infer<typeof StreamEnd>;

/** Where the terminal event's webhook goes, if the job asked for one. */
export const WebhookTarget = z.object({ url: z.string() });
export type WebhookTarget = z.infer<typeof WebhookTarget>;

/** What a job bills besides tokens: generated images and seconds of video. */
export const BillableUnits = z.object({
  images: z.number().int().nonnegative().default(0),
  videoSeconds: z.number().nonnegative().default(0),
});
export type BillableUnits = z.infer<typeof BillableUnits>;

const TerminalFields = {
  streamEnd: StreamEnd.nullable().default(null),
  webhook: WebhookTarget.nullable().default(null),
  units: BillableUnits.nullable().default(null),
  /**
   * Streamed jobs: how many token chunks the worker published before this event (the last
   * `seq`), so the ingress can tell a lost trailing chunk from the end of the stream.
   */
  chunks: z.number().int().nonnegative().optional(),
  /** The job's `requestHash`, so a keyed retry finding only this event can tell its request from the job's. */
  requestHash: z.string().optional(),
};

export const JobProgressed = z.object({
  ...JobIdentity,
  type: z.literal("progress"),
  /** 0-100. */
  progress: z.number().min(0).max(100),
  /** The upstream's own id for a long-running task (video), once known. */
  upstreamTaskId: z.string().nullable(),
});
export type JobProgressed = z.infer<typeof JobProgressed>;

export const JobCompleted = z.object({
  ...JobIdentity,
  type: z.literal("completed"),
  route: z.string(),
  attempts: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  /** The object the synchronous endpoint returns (a `chat.completion` for chat). */
  result: z.record(z.string(), z.unknown()),
  usage: Usage.nullable(),
  ...TerminalFields,
});
export type JobCompleted = z.infer<typeof JobCompleted>;

export const JobFailed = z.object({
  ...JobIdentity,
  type: z.literal("failed"),
  route: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  error: EventError,
  /** Tokens an upstream charged before the job failed (a partial stream), if any. */
  usage: Usage.nullable(),
  ...TerminalFields,
});
export type JobFailed = z.infer<typeof JobFailed>;

export const JobCancelled = z.object({
  ...JobIdentity,
  type: z.literal("cancelled"),
  route: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  /** See `CancelReason`. */
  reason: CancelReason,
  /** Tokens charged before the cancellation reached the upstream, if any. */
  usage: Usage.nullable(),
  ...TerminalFields,
});
export type JobCancelled = z.infer<typeof JobCancelled>;

/** One attempt to deliver a job's webhook. */
export const WebhookAttempted = z.object({
  ...JobIdentity,
  type: z.literal("webhook"),
  /** The `webhook-id` header: the same on every retry of one event. */
  webhookId: z.string(),
  attempt: z.number().int().positive(),
  url: z.string(),
  /** The event type delivered: `job.completed`, `job.failed` or `job.cancelled`. */
  eventType: z.string(),
  httpStatus: z.number().int().nullable(),
  outcome: z.enum(["delivered", "failed", "gave_up"]),
  error: z.string().nullable(),
  latencyMs: z.number().nonnegative(),
  retryInMs: z.number().nonnegative().nullable(),
});
export type WebhookAttempted = z.infer<typeof WebhookAttempted>;

export const JobEvent = z.discriminatedUnion("type", [
  JobStarted,
  AttemptRecorded,
  JobProgressed,
  JobCompleted,
  JobFailed,
  JobCancelled,
  WebhookAttempted,
]);
export type JobEvent = z.infer<typeof JobEvent>;
export type JobEventType = JobEvent["type"];
export type TerminalEvent = JobCompleted | JobFailed | JobCancelled;
export const TERMINAL_EVENT_TYPES = ["completed", "failed", "cancelled"] as const;

export function isTerminal(event: JobEvent): event is TerminalEvent {
  return event.type === "completed" || event.type === "failed" || event.type === "cancelled";
}

/** The `Nats-Msg-Id` of a job's webhook on `WEBHOOKS`: one per job, however often it is queued. */
export function webhookDueMessageId(jobId: string): string {
  return `${jobId}:webhook-due`;
}

/**
 * The `Nats-Msg-Id` of an event. The terminal types share one id per job, so JetStream's
 * de-duplication keeps a single final outcome even if two workers (or a worker and a cancel)
 * race.
 */
export function eventMessageId(event: JobEvent): string {
  switch (event.type) {
    case "started":
      return `${event.jobId}:started:${event.delivery}`;
    case "attempt":
      return `${event.jobId}:attempt:${event.attemptId}`;
    case "progress":
      return `${event.jobId}:progress:${event.progress}:${event.at}`;
    case "webhook":
      return `${event.jobId}:webhook:${event.webhookId}:${event.attempt}`;
    case "completed":
    case "failed":
    case "cancelled":
      return `${event.jobId}:final`;
  }
}
