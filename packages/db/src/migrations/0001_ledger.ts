import { sql, type Kysely } from "kysely";

/*
 * The ledger's tables, written as plain SQL because analysts read this file to learn the
 * schema. Days are UTC. Counters are bigint so that no upstream-reported number can make an
 * insert fail (a failed insert would hold back the ledger's whole batch).
 */
const up = [
  sql`create table jobs (
    id            text primary key,
    tenant        text not null,
    kind          text not null,
    family        text not null,
    model         text not null,
    status        text not null check (status in ('queued', 'in_progress', 'completed', 'failed', 'cancelled')),
    route         text,
    attempts      integer not null default 0,
    error_code    text,
    error_message text,
    http_status   integer,
    created_at    timestamptz not null,
    started_at    timestamptz,
    finished_at   timestamptz,
    latency_ms    bigint,
    trace_id      text,
    updated_at    timestamptz not null default now()
  )`,
  sql`create index jobs_tenant_created_at_idx on jobs (tenant, created_at)`,
  sql`create index jobs_created_at_idx on jobs (created_at)`,

  sql`create table attempts (
    job_id         text not null references jobs (id) on delete cascade,
    attempt_id     text not null,
    route          text not null,
    upstream_model text not null,
    outcome        text not null check (outcome in ('ok', 'error')),
    http_status    integer,
    error_code     text,
    error_message  text,
    started_at     timestamptz not null,
    latency_ms     bigint not null,
    retry_in_ms    bigint,
    trace_id       text,
    primary key (job_id, attempt_id)
  )`,
  sql`create index attempts_route_started_at_idx on attempts (route, started_at)`,

  sql`create table usage (
    job_id            text primary key references jobs (id) on delete cascade,
    tenant            text not null,
    kind              text not null,
    family            text not null,
    model             text not null,
    route             text,
    prompt_tokens     bigint not null default 0,
    completion_tokens bigint not null default 0,
    total_tokens      bigint not null default 0,
    cached_tokens     bigint not null default 0,
    reasoning_tokens  bigint not null default 0,
    cost_usd          numeric(18, 8) not null default 0,
    outcome           text not null check (outcome in ('completed', 'failed')),
    recorded_at       timestamptz not null,
    trace_id          text
  )`,
  sql`create index usage_recorded_at_idx on usage (recorded_at)`,
  sql`create index usage_model_recorded_at_idx on usage (model, recorded_at)`,
  sql`create index usage_tenant_recorded_at_idx on usage (tenant, recorded_at)`,

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

  sql`comment on table jobs is 'One row per job, merged from its events; a finished status is never overwritten'`,
  sql`comment on column jobs.route is 'Route that produced the final outcome; null while running or when no route was tried'`,
  sql`comment on column jobs.http_status is 'HTTP status the public API answered for the outcome'`,
  sql`comment on column jobs.created_at is 'When the ingress accepted the job'`,
  sql`comment on column jobs.latency_ms is 'Accepted to finished, in milliseconds'`,
  sql`comment on column jobs.trace_id is 'OpenTelemetry trace id of the client request'`,
  sql`comment on table attempts is 'One row per upstream call of a job, retries and fallbacks included'`,
  sql`comment on column attempts.attempt_id is 'd<delivery>.a<n>: unique within the job across redeliveries'`,
  sql`comment on column attempts.retry_in_ms is 'Delay before the next attempt, when this one failed and another followed'`,
  sql`comment on table usage is 'Exactly one row per finished job (completed or failed); zero tokens when the upstream reported none'`,
  sql`comment on column usage.cost_usd is 'USD, from the catalog price of the route at the time the ledger recorded it'`,
  sql`comment on column usage.recorded_at is 'When the job finished'`,
  sql`comment on view usage_daily is 'Usage per UTC day, tenant and model'`,
];

export const migration0001Ledger = {
  async up(db: Kysely<unknown>): Promise<void> {
    for (const statement of up) await statement.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await sql`drop view if exists usage_daily`.execute(db);
    await sql`drop table if exists usage`.execute(db);
    await sql`drop table if exists attempts`.execute(db);
    await sql`drop table if exists jobs`.execute(db);
  },
};
