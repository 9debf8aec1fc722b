import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/** Read as a `Date`; written as a `Date` or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;

/**
 * `bigint` and `numeric` columns: `createDb` parses both as JS numbers on read, so counters and
 * costs come back as numbers (exact up to 2^53; costs to about 15 significant digits).
 */
type Numeric = ColumnType<number, number | string, number | string>;
/** A `Numeric` column with a default (0), so inserts may leave it out. */
type NumericOrZero = ColumnType<number, number | string | undefined, number | string>;

export type JobStatus = "queued" | "in_progress" | "completed" | "failed" | "cancelled";

/** Statuses a job never leaves: the ledger does not overwrite them with an earlier state. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ["completed", "failed", "cancelled"];

export type AttemptOutcome = "ok" | "error";
export type UsageOutcome = "completed" | "failed" | "cancelled";
/** How a streamed answer ended (contracts' `StreamEnd`); null for jobs that did not stream. */
type StreamEnd = "done" | "error" | "client_closed";
/** `failed` attempts are retried later; `gave_up` is the last attempt of a delivery that never succeeded. */
export type WebhookOutcome = "delivered" | "failed" | "gave_up";

/** One row per job, merged from all of its events. */
export interface JobsTable {
  id: string;
  tenant: string;
  kind: string;
  family: string;
  model: string;
  status: JobStatus;
  /** The route that produced the final outcome; null until the job ends (or when it failed before any route). */
  route: string | null;
  attempts: Generated<number>;
  error_code: string | null;
  error_message: string | null;
  /** The HTTP status the public API answered for the job's outcome. */
  http_status: number | null;
  /** When the ingress accepted the job. */
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  /** Accepted to finished, in milliseconds. */
  latency_ms: Numeric | null;
  trace_id: string | null;
  /** Percent done, 0-100; it only grows, and is 100 once completed. */
  progress: NumericOrZero;
  /** How the streamed answer of the final outcome ended. */
  stream_end: StreamEnd | null;
  /** The upstream's id of a long-running task (video), once a progress event reported it. */
  upstream_task_id: string | null;
  updated_at: Generated<Timestamp>;
}

/** One row per upstream call, retries and fallbacks included. */
export interface AttemptsTable {
  job_id: string;
  attempt_id: string;
  route: string;
  upstream_model: string;
  outcome: AttemptOutcome;
  http_status: number | null;
  error_code: string | null;
  error_message: string | null;
  started_at: Timestamp;
  latency_ms: Numeric;
  retry_in_ms: Numeric | null;
  trace_id: string | null;
}

/** Exactly one row per finished job: what it consumed and cost. */
export interface UsageTable {
  job_id: string;
  tenant: string;
  kind: string;
  family: string;
  model: string;
  route: string | null;
  prompt_tokens: NumericOrZero;
  completion_tokens: NumericOrZero;
  total_tokens: NumericOrZero;
  cached_tokens: NumericOrZero;
  reasoning_tokens: NumericOrZero;
  /** Generated images. */
  images: NumericOrZero;
  /** Seconds of generated video. */
  video_seconds: NumericOrZero;
  /** Tokens, images and video seconds at the catalog prices of the route that answered. */
  cost_usd: NumericOrZero;
  outcome: UsageOutcome;
  stream_end: StreamEnd | null;
  /** The job's finish time. */
  recorded_at: Timestamp;
  trace_id: string | null;
}

/** One row per attempt to deliver a job's webhook. */
export interface WebhookDeliveriesTable {
  job_id: string;
  /** The `webhook-id` header: the same on every retry of one event. */
  webhook_id: string;
  /** 1 for the first attempt. */
  attempt: number;
  url: string;
  /** `job.completed`, `job.failed` or `job.cancelled`. */
  event_type: string;
  /** The receiver's answer; null when none came (timeout, connection error, refused destination). */
  http_status: number | null;
  outcome: WebhookOutcome;
  error: string | null;
  latency_ms: Numeric;
  retry_in_ms: Numeric | null;
  /** When the attempt started. */
  attempted_at: Timestamp;
  trace_id: string | null;
}

/** The `usage_daily` view (UTC days). `day` is read as a `YYYY-MM-DD` string. */
export interface UsageDailyView {
  day: ColumnType<string, never, never>;
  tenant: ColumnType<string, never, never>;
  model: ColumnType<string, never, never>;
  requests: ColumnType<number, never, never>;
  failed_requests: ColumnType<number, never, never>;
  cancelled_requests: ColumnType<number, never, never>;
  prompt_tokens: ColumnType<number, never, never>;
  completion_tokens: ColumnType<number, never, never>;
  total_tokens: ColumnType<number, never, never>;
  cached_tokens: ColumnType<number, never, never>;
  reasoning_tokens: ColumnType<number, never, never>;
  images: ColumnType<number, never, never>;
  video_seconds: ColumnType<number, never, never>;
  cost_usd: ColumnType<number, never, never>;
}

export interface Database {
  jobs: JobsTable;
  attempts: AttemptsTable;
  usage: UsageTable;
  webhook_deliveries: WebhookDeliveriesTable;
  usage_daily: UsageDailyView;
}

export type Job = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type Attempt = Selectable<AttemptsTable>;
export type NewAttempt = Insertable<AttemptsTable>;
export type UsageRecord = Selectable<UsageTable>;
export type NewUsageRecord = Insertable<UsageTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type NewWebhookDelivery = Insertable<WebhookDeliveriesTable>;
