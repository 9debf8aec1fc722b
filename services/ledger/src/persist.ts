import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "@switchyard/db";
import type { AttemptRow, FoldedBatch, JobRow, UsageRow, WebhookDeliveryRow } from "./fold.js";

const TERMINAL = sql`('completed', 'failed', 'cancelled')`;

/**
 * Keep the stored outcome unless the stored job is still running and the incoming row ends it:
 * the first outcome recorded wins, matching the usage row (whose insert does nothing on conflict).
 * The same rule as `mergeJob` in fold.ts, which merges the rows of one batch beforehand.
 */
const keepStoredOutcome = sql`(jobs.status in ${TERMINAL} or excluded.status not in ${TERMINAL})`;

/**
 * Writes one folded batch as a single statement: one data-modifying CTE per table, whatever
 * the number of rows, so a batch is one round trip to PostgreSQL and one implicit transaction
 * (a transaction of one statement per table took five: begin, four inserts, commit, each
 * waking the server and the ledger). The statement's text is the same for every batch (one
 * array parameter per column; an empty array inserts nothing), so it is prepared once per
 * connection. Foreign keys are checked at the statement's end, when the jobs the other rows
 * reference are in. Every part is idempotent, so a redelivered batch changes nothing:
 * attempts, usage and webhook delivery rows are inserted once, job rows merge monotonically.
 */
export async function persistBatch(db: Kysely<Database>, batch: FoldedBatch): Promise<void> {
  await db
    .with("written_jobs", (qc) =>
      qc
        .insertInto("jobs")
        .columns(JOB_COLUMNS)
        .expression(unnest(batch.jobs, JOB_COLUMNS, JOB_TYPES))
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({
            status: sql`case
                when jobs.status in ${TERMINAL} then jobs.status
                when excluded.status in ${TERMINAL} then excluded.status
                when excluded.status = 'in_progress' then excluded.status
                else jobs.status end`,
            route: sql`case when ${keepStoredOutcome} then jobs.route else excluded.route end`,
            error_code: sql`case when ${keepStoredOutcome} then jobs.error_code else excluded.error_code end`,
            error_message: sql`case when ${keepStoredOutcome} then jobs.error_message else excluded.error_message end`,
            http_status: sql`case when ${keepStoredOutcome} then jobs.http_status else excluded.http_status end`,
            finished_at: sql`case when ${keepStoredOutcome} then jobs.finished_at else excluded.finished_at end`,
            latency_ms: sql`case when ${keepStoredOutcome} then jobs.latency_ms else excluded.latency_ms end`,
            stream_end: sql`case when ${keepStoredOutcome} then jobs.stream_end else excluded.stream_end end`,
            // 100 once completed. A completion that lost to a stored outcome does not count as
            // progress; the row it was merged into is dropped whole, as the job had already ended.
            progress: sql`case
                when jobs.status = 'completed' or (jobs.status not in ${TERMINAL} and excluded.status = 'completed') then 100
                when excluded.status = 'completed' then jobs.progress
                else greatest(jobs.progress, excluded.progress) end`,
            // One upstream task per job (the worker's task store keeps the first): the first known stays.
            upstream_task_id: sql`coalesce(jobs.upstream_task_id, excluded.upstream_task_id)`,
            attempts: sql`greatest(jobs.attempts, excluded.attempts)`,
            created_at: sql`least(jobs.created_at, excluded.created_at)`,
            // least() ignores nulls: a job keeps the earliest start any event reported.
            started_at: sql`least(jobs.started_at, excluded.started_at)`,
            trace_id: sql`coalesce(jobs.trace_id, excluded.trace_id)`,
            updated_at: sql`now()`,
          }),
        ),
    )
    .with("written_attempts", (qc) =>
      qc
        .insertInto("attempts")
        .columns(ATTEMPT_COLUMNS)
        .expression(unnest(batch.attempts, ATTEMPT_COLUMNS, ATTEMPT_TYPES))
        .onConflict((oc) => oc.columns(["job_id", "attempt_id"]).doNothing()),
    )
    .with("written_usage", (qc) =>
      qc
        .insertInto("usage")
        .columns(USAGE_COLUMNS)
        .expression(unnest(batch.usage, USAGE_COLUMNS, USAGE_TYPES))
        .onConflict((oc) => oc.column("job_id").doNothing()),
    )
    .insertInto("webhook_deliveries")
    .columns(DELIVERY_COLUMNS)
    .expression(unnest(batch.webhookDeliveries, DELIVERY_COLUMNS, DELIVERY_TYPES))
    .onConflict((oc) => oc.columns(["job_id", "webhook_id", "attempt"]).doNothing())
    .execute();
}

/**
 * `select * from unnest($1::text[], $2::int8[], ...)`: one array parameter per column, however
 * many rows. PostgreSQL parses and plans a far smaller statement than a multi-row VALUES list
 * of thousands of parameters, and the 65,535-parameter limit never applies.
 */
function unnest<Row, K extends keyof Row & string>(
  rows: readonly Row[],
  columns: readonly K[],
  types: Readonly<Record<K, string>>,
): RawBuilder<Row> {
  const arrays = columns.map((column) => sql`${rows.map((row) => row[column])}::${sql.raw(types[column])}[]`);
  return sql<Row>`select * from unnest(${sql.join(arrays)})`;
}

const JOB_TYPES: Record<keyof JobRow, string> = {
  id: "text",
  tenant: "text",
  kind: "text",
  family: "text",
  model: "text",
  status: "text",
  route: "text",
  attempts: "int4",
  error_code: "text",
  error_message: "text",
  http_status: "int4",
  created_at: "timestamptz",
  started_at: "timestamptz",
  finished_at: "timestamptz",
  latency_ms: "int8",
  trace_id: "text",
  progress: "numeric",
  stream_end: "text",
  upstream_task_id: "text",
};
const JOB_COLUMNS = Object.keys(JOB_TYPES) as (keyof JobRow)[];

const ATTEMPT_TYPES: Record<keyof AttemptRow, string> = {
  job_id: "text",
  attempt_id: "text",
  route: "text",
  upstream_model: "text",
  outcome: "text",
  http_status: "int4",
  error_code: "text",
  error_message: "text",
  started_at: "timestamptz",
  latency_ms: "int8",
  retry_in_ms: "int8",
  trace_id: "text",
};
const ATTEMPT_COLUMNS = Object.keys(ATTEMPT_TYPES) as (keyof AttemptRow)[];

const USAGE_TYPES: Record<keyof UsageRow, string> = {
  job_id: "text",
  tenant: "text",
  kind: "text",
  family: "text",
  model: "text",
  route: "text",
  prompt_tokens: "int8",
  completion_tokens: "int8",
  total_tokens: "int8",
  cached_tokens: "int8",
  reasoning_tokens: "int8",
  images: "int8",
  video_seconds: "numeric",
  cost_usd: "numeric",
  outcome: "text",
  stream_end: "text",
  recorded_at: "timestamptz",
  trace_id: "text",
};
const USAGE_COLUMNS = Object.keys(USAGE_TYPES) as (keyof UsageRow)[];

const DELIVERY_TYPES: Record<keyof WebhookDeliveryRow, string> = {
  job_id: "text",
  webhook_id: "text",
  attempt: "int4",
  url: "text",
  event_type: "text",
  http_status: "int4",
  outcome: "text",
  error: "text",
  latency_ms: "int8",
  retry_in_ms: "int8",
  attempted_at: "timestamptz",
  trace_id: "text",
};
const DELIVERY_COLUMNS = Object.keys(DELIVERY_TYPES) as (keyof WebhookDeliveryRow)[];
