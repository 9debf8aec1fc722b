import { z } from "zod";
import { JOB_TYPE_OF_KIND, JobType, type JobRecord, type JobStatus } from "./jobs.js";
import type { ErrorBody } from "./errors.js";
import type { EventError } from "./events.js";

/** `POST /v1/jobs`: any kind of job, answered 202 once JetStream has stored it. */
export const JobCreateRequest = z.strictObject({
  type: JobType,
  body: z.record(z.string(), z.unknown()),
  webhook: z.strictObject({ url: z.url({ protocol: /^https?$/ }) }).optional(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, "at most 16 metadata keys")
    .optional(),
});
export type JobCreateRequest = z.infer<typeof JobCreateRequest>;

/** The job object of the job API, and the `data` of its webhook events. */
export interface JobObject {
  id: string;
  object: "job";
  type: JobType;
  model: string;
  status: JobStatus;
  progress: number;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  /** While queued: how many jobs of the same family are ahead of this one. */
  queue_position: number | null;
  error: ErrorBody | null;
  /** Once completed: the object the synchronous endpoint returns. */
  result: Record<string, unknown> | null;
  metadata: Record<string, string> | null;
}

/** A webhook event, Standard Webhooks style, as OpenAI sends them. */
export interface WebhookEvent {
  id: string;
  object: "event";
  type: "job.completed" | "job.failed" | "job.cancelled";
  created_at: number;
  data: JobObject;
}

const unixSeconds = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

/** The public error of an event's error: the envelope fields without the HTTP status. */
export function publicErrorBody(error: EventError | null): ErrorBody | null {
  return error && { message: error.message, type: error.type, param: error.param, code: error.code };
}

/**
 * The job object of a status record: one mapping for `GET /v1/jobs/{id}` and webhook `data`, so
 * polling and webhooks never disagree. The caller supplies what needs I/O: the queue position
 * and the rendered result (images as base64 or links, videos as video objects).
 */
export function toJobObject(
  record: JobRecord,
  rendered: { queuePosition: number | null; result: Record<string, unknown> | null },
): JobObject {
  return {
    id: record.id,
    object: "job",
    type: JOB_TYPE_OF_KIND[record.kind],
    model: record.model,
    status: record.status,
    progress: record.status === "completed" ? 100 : record.progress,
    created_at: Math.floor(record.createdAt / 1000),
    started_at: unixSeconds(record.startedAt),
    completed_at: unixSeconds(record.finishedAt),
    queue_position: rendered.queuePosition,
    error: publicErrorBody(record.error),
    result: record.status === "completed" ? rendered.result : null,
    metadata: record.metadata,
  };
}
