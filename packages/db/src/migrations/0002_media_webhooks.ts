import { sql, type Kysely } from "kysely";

/*
 * Long-running jobs, media billing and webhooks: a job's progress and upstream task, how a
 * streamed answer ended, images and video seconds in usage (and their sums per day), cancelled
 * jobs in usage, and one row per webhook delivery attempt. Plain SQL, as in 0001; media
 * amounts are bigint and unbounded numeric for the same reason 0001's counters are bigint.
 */
const up = [
  sql`alter table jobs
    add column progress         numeric(5, 2) not null default 0,
    add column stream_end       text check (stream_end in ('done', 'error', 'client_closed')),
    add column upstream_task_id text`,

  sql`alter table usage
    add column stream_end    text check (stream_end in ('done', 'error', 'client_closed')),
    add column images        bigint not null default 0,
    add column video_seconds numeric not null default 0`,
  // 0001 declared the check inline, so PostgreSQL named it <table>_<column>_check.
  sql`alter table usage drop constraint usage_outcome_check`,
  sql`alter table usage add constraint usage_outcome_check check (outcome in ('completed', 'failed', 'cancelled'))`,

  sql`create table webhook_deliveries (
    job_id       text not null references jobs (id) on delete cascade,
    webhook_id   text not null,
    attempt      integer not null,
    url          text not null,
    event_type   text not null,
    http_status  integer,
    outcome      text not null check (outcome in ('delivered', 'failed', 'gave_up')),
    error        text,
    latency_ms   bigint not null,
    retry_in_ms  bigint,
    attempted_at timestamptz not null,
    trace_id     text,
    primary key (job_id, webhook_id, attempt)
  )`,
  sql`create index webhook_deliveries_attempted_at_idx on webhook_deliveries (attempted_at)`,

  // A view's columns cannot be inserted before existing ones, so it is created anew.
  sql`drop view usage_daily`,
  sql`create view usage_daily as
    select
      (recorded_at at time zone 'UTC')::date         as day,
      tenant,
      model,
      count(*)                                       as requests,
      count(*) filter (where outcome = 'failed')     as failed_requests,
      count(*) filter (where outcome = 'cancelled')  as cancelled_requests,
      sum(prompt_tokens)::bigint                     as prompt_tokens,
      sum(completion_tokens)::bigint                 as completion_tokens,
      sum(total_tokens)::bigint                      as total_tokens,
      sum(cached_tokens)::bigint                     as cached_tokens,
      sum(reasoning_tokens)::bigint                  as reasoning_tokens,
      sum(images)::bigint                            as images,
      sum(video_seconds)                             as video_seconds,
      sum(cost_usd)                                  as cost_usd
    from usage
    group by 1, 2, 3`,

  sql`comment on column jobs.progress is 'Percent done, 0-100; only ever grows; 100 once completed'`,
  sql`comment on column jobs.stream_end is 'How a streamed answer ended (done, error, client_closed); null when the job did not stream'`,
  sql`comment on column jobs.upstream_task_id is 'The upstream''s id of a long-running task (video), from progress events'`,
  sql`comment on table usage is 'Exactly one row per finished job (completed, failed or cancelled); zero tokens when the upstream reported none'`,
  sql`comment on column usage.cost_usd is 'USD, from the catalog prices (tokens, images, video seconds) of the route at the time the ledger recorded it'`,
  sql`comment on column usage.stream_end is 'How a streamed answer ended; null when the job did not stream'`,
  sql`comment on column usage.images is 'Images generated'`,
  sql`comment on column usage.video_seconds is 'Seconds of video generated'`,
  sql`comment on table webhook_deliveries is 'One row per attempt to deliver a job''s webhook; webhook_id is the same on every retry'`,
  sql`comment on column webhook_deliveries.outcome is 'delivered (2xx), failed (retried later) or gave_up (no more retries)'`,
  sql`comment on column webhook_deliveries.retry_in_ms is 'Delay before the next attempt, when this one failed and another follows'`,
  sql`comment on column webhook_deliveries.attempted_at is 'When the attempt started'`,
  sql`comment on view usage_daily is 'Usage per UTC day, tenant and model'`,
];

const down = [
  sql`drop view usage_daily`,
  sql`create view usage_daily as
    select
      (recorded_at at time zone 'UTC')::date      as day,
      tenant,
      model,
      count(*)                                    as requests,
      count(*) filter (where outcome = 'failed')  as failed_requests,
      sum(prompt_tokens)::bigint                  as prompt_tokens,
      sum(completion_tokens)::bigint              as completion_tokens,
      sum(total_tokens)::bigint                   as total_tokens,
      sum(cached_tokens)::bigint                  as cached_tokens,
      sum(reasoning_tokens)::bigint               as reasoning_tokens,
      sum(cost_usd)                               as cost_usd
    from usage
    group by 1, 2, 3`,
  sql`drop table webhook_deliveries`,
  sql`delete from usage where outcome = 'cancelled'`,
  sql`alter table usage drop constraint usage_outcome_check`,
  sql`alter table usage add constraint usage_outcome_check check (outcome in ('completed', 'failed'))`,
  sql`alter table usage drop column stream_end, drop column images, drop column video_seconds`,
  sql`alter table jobs drop column progress, drop column stream_end, drop column upstream_task_id`,
];

export const migration0002MediaWebhooks = {
  async up(db: Kysely<unknown>): Promise<void> {
    for (const statement of up) await statement.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const statement of down) await statement.execute(db);
  },
};
