import { z } from "zod";
import { ModelKind } from "./openai/models.js";
import { EventError, WebhookTarget } from "./events.js";
import { Usage } from "./openai/chat.js";

/**
 * A job as the ingress publishes it on `jobs.<family>.<kind>`. The request is the client's
 * body after validation; the worker checks it again against its kind's schema, because the
 * stream may hold jobs written by an older ingress.
 */
export const JobSubmitted = z.object({
  version: z.literal(1),
  id: z.string(),
  kind: ModelKind,
  family: z.string(),
  model: z.string(),
  tenant: z.string(),
  request: z.record(z.string(), z.unknown()),
  /** Epoch milliseconds when the ingress accepted the job. */
  createdAt: z.number().int(),
  /** Epoch milliseconds after which nobody waits for the answer; the worker gives up then. */
  deadlineAt: z.number().int(),
  idempotencyKey: z.string().optional(),
  /**
   * Keyed jobs: a digest of what was asked (endpoint, kind, model, body, webhook, metadata).
   * A later request with the same Idempotency-Key and another digest is refused (422) instead of
   * being answered with this job. Jobs of an older ingress have none and are not compared.
   */
  requestHash: z.string().optional(),
  /** Chat only: the client reads tokens as they come (see `Names.tokenSubject`). */
  stream: z.boolean().optional(),
  /**
   * The job has a status record in the KV bucket (`Names.statusBucket`): submitted through
   * the job API or the Videos API, so clients poll it. Synchronous calls skip the record.
   */
  tracked: z.boolean().optional(),
  webhook: WebhookTarget.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /**
   * A synchronous request's waiting ingress (`Names.replySubject`): once the terminal event is
   * stored, the worker also sends it to `<replyTo>.<type>` over core NATS, so the ingress holds
   * one subscription for all its requests instead of one per job.
   */
  replyTo: z.string().optional(),
});
export type JobSubmitted = z.infer<typeof JobSubmitted>;

export const JobStatus = z.enum(["queued", "in_progress", "completed", "failed", "cancelled"]);
export type JobStatus = z.infer<typeof JobStatus>;
/**
 * How long a job's traces outside PostgreSQL are kept: its events in `EVENTS`, and its status
 * record, upstream task id and generated or uploaded media, each counted from its last write.
 * Past it, `GET /v1/jobs/{id}` and a video's content answer 404; the ledger's rows stay. Without
 * it the buckets grew with every job ever run, media bytes included.
 */
export const JOB_RETENTION_MS = 7 * 24 * 3600_000;

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ["completed", "failed", "cancelled"];

/** Public names of the job kinds in the job API (`POST /v1/jobs` `type`). */
export const JobType = z.enum(["chat.completion", "image.generation", "video.generation"]);
export type JobType = z.infer<typeof JobType>;
export const JOB_TYPE_OF_KIND = {
  chat: "chat.completion",
  image: "image.generation",
  video: "video.generation",
} as const;
export const KIND_OF_JOB_TYPE = {
  "chat.completion": "chat",
  "image.generation": "image",
  "video.generation": "video",
} as const;

/**
 * A tracked job's current state, the value under `<tenant>.<jobId>` in the status bucket.
 * The ingress creates it (queued) before publishing the job; the worker moves it on; a cancel
 * writes it with a revision check. Clients polling read only this, never PostgreSQL.
 */
export const JobRecord = z.object({
  version: z.literal(1),
  id: z.string(),
  tenant: z.string(),
  kind: ModelKind,
  family: z.string(),
  model: z.string(),
  status: JobStatus,
  /** 0-100; 100 once completed. */
  progress: z.number().min(0).max(100),
  /** Epoch ms. */
  createdAt: z.number().int(),
  startedAt: z.number().int().nullable(),
  finishedAt: z.number().int().nullable(),
  /** The validated request body, as submitted. */
  request: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.string()).nullable(),
  webhook: WebhookTarget.nullable(),
  error: EventError.nullable(),
  /** The result object (chat completion, images result with artifact names, video artifact). */
  result: z.record(z.string(), z.unknown()).nullable(),
  usage: Usage.nullable(),
  /** The job message's sequence in the JOBS stream, for the queue position while queued. */
  jobsSeq: z.number().int().nullable(),
  /** The upstream's id for a long-running task, saved as soon as it is known. */
  upstreamTaskId: z.string().nullable(),
  /**
   * The submission's W3C trace context (`traceparent`, `tracestate`), so what the ingress
   * publishes for the job later, such as the `cancelled` event of a job cancelled before it
   * ran, joins the job's trace rather than the cancel request's. Absent with tracing off.
   */
  traceContext: z.record(z.string(), z.string()).optional(),
});
export type JobRecord = z.infer<typeof JobRecord>;

/**
 * Image results as workers store them: the bytes live in the object store under `artifact`;
 * the ingress turns each into `b64_json` or a signed URL, as the client asked.
 */
export const ImageArtifact = z.object({
  artifact: z.string(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
  revised_prompt: z.string().optional(),
});
export type ImageArtifact = z.infer<typeof ImageArtifact>;

export const ImagesResult = z.looseObject({
  created: z.number().int(),
  data: z.array(ImageArtifact),
  size: z.string().optional(),
  output_format: z.string().optional(),
  quality: z.string().optional(),
  background: z.string().optional(),
  usage: z.looseObject({}).optional(),
});
export type ImagesResult = z.infer<typeof ImagesResult>;

/** A finished video: its MP4 in the object store. */
export const VideoResult = z.object({
  artifact: z.string(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
  thumbnail: z.string().optional(),
});
export type VideoResult = z.infer<typeof VideoResult>;
