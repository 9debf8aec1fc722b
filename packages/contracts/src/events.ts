import { z } from "zod";
import { ModelKind } from "./openai/models.js";
import { Usage } from "./openai/chat.js";

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

export const JobCompleted = z.object({
  ...JobIdentity,
  type: z.literal("completed"),
  route: z.string(),
  attempts: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  /** The object the synchronous endpoint returns (a `chat.completion` for chat). */
  result: z.record(z.string(), z.unknown()),
  usage: Usage.nullable(),
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
});
export type JobFailed = z.infer<typeof JobFailed>;

export const JobEvent = z.discriminatedUnion("type", [JobStarted, AttemptRecorded, JobCompleted, JobFailed]);
export type JobEvent = z.infer<typeof JobEvent>;
export type JobEventType = JobEvent["type"];
export type TerminalEvent = JobCompleted | JobFailed;

export function isTerminal(event: JobEvent): event is TerminalEvent {
  return event.type === "completed" || event.type === "failed";
}

/**
 * The `Nats-Msg-Id` of an event. Both terminal types share one id per job, so JetStream's
 * de-duplication keeps a single final outcome even if two workers race after a redelivery.
 */
export function eventMessageId(event: JobEvent): string {
  switch (event.type) {
    case "started":
      return `${event.jobId}:started:${event.delivery}`;
    case "attempt":
      return `${event.jobId}:attempt:${event.attemptId}`;
    case "completed":
    case "failed":
      return `${event.jobId}:final`;
  }
}
