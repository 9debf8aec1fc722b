import { z } from "zod";
import { JobType, type JobStatus } from "./jobs.js";
import type { ErrorBody } from "./errors.js";

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
