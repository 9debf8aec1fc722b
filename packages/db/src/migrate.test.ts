import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Migrator, sql, type Kysely, type Migration } from "kysely";
import { createDb } from "./create-db.js";
import { migrateToLatest } from "./migrate.js";
import { createTemporaryDatabase, type TemporaryDatabase } from "./temporary-database.js";
import type { Database } from "./schema.js";
import { migration0001Ledger } from "./migrations/0001_ledger.js";
import { migration0002MediaWebhooks } from "./migrations/0002_media_webhooks.js";

// The server the global setup found or started (an embedded one has a password).
const adminUrl =
  process.env.SWITCHYARD_TEST_PG_ADMIN_URL ??
  process.env.DATABASE_ADMIN_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";

describe("migrateToLatest", () => {
  let tmp: TemporaryDatabase;
  const open: Kysely<Database>[] = [];
  const connect = (schema?: string): Kysely<Database> => {
    const db = createDb({ url: tmp.url, schema, max: 2 });
    open.push(db);
    return db;
  };

  beforeAll(async () => {
    tmp = await createTemporaryDatabase({ adminUrl, prefix: "db_test" });
  });
  afterAll(async () => {
    await Promise.all(open.map((db) => db.destroy()));
    await tmp.drop();
  });

  it("applies every migration once; a second run is a no-op", async () => {
    const db = connect();
    expect(await migrateToLatest(db)).toEqual(["0001_ledger", "0002_media_webhooks"]);
    expect(await migrateToLatest(db)).toEqual([]);
    const tables = await db.introspection.getTables();
    const names = tables
      .filter((t) => t.schema === "public")
      .map((t) => t.name)
      .sort();
    expect(names).toEqual(["attempts", "jobs", "usage", "usage_daily", "webhook_deliveries"]);
  });

  it("reads numeric and bigint as numbers and dates as YYYY-MM-DD", async () => {
    const db = connect();
    await migrateToLatest(db);
    const recordedAt = new Date("2026-11-26T23:59:00Z");
    await db
      .insertInto("jobs")
      .values({
        id: "job_1",
        tenant: "t",
        kind: "chat",
        family: "openai",
        model: "m",
        status: "completed",
        created_at: recordedAt,
      })
      .execute();
    await db
      .insertInto("usage")
      .values({
        job_id: "job_1",
        tenant: "t",
        kind: "chat",
        family: "openai",
        model: "m",
        route: "r",
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        cached_tokens: 0,
        reasoning_tokens: 0,
        images: 2,
        video_seconds: 8.5,
        cost_usd: 0.0000123,
        outcome: "completed",
        recorded_at: recordedAt,
      })
      .execute();
    const usage = await db.selectFrom("usage").selectAll().executeTakeFirstOrThrow();
    expect(usage.cost_usd).toBe(0.0000123);
    expect(usage.prompt_tokens).toBe(10);
    expect(usage).toMatchObject({ images: 2, video_seconds: 8.5, stream_end: null });
    expect(usage.recorded_at).toBeInstanceOf(Date);
    const daily = await db.selectFrom("usage_daily").selectAll().execute();
    expect(daily).toEqual([
      {
        day: "2026-11-26",
        tenant: "t",
        model: "m",
        requests: 1,
        failed_requests: 0,
        cancelled_requests: 0,
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        cached_tokens: 0,
        reasoning_tokens: 0,
        images: 2,
        video_seconds: 8.5,
        cost_usd: 0.0000123,
      },
    ]);
  });

  it("isolates a schema: creates it and puts the tables there", async () => {
    const db = connect("ledger_schema_a");
    expect(await migrateToLatest(db)).toEqual(["0001_ledger", "0002_media_webhooks"]);
    expect(await migrateToLatest(db)).toEqual([]);
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'ledger_schema_a' order by 1`.execute(db);
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["attempts", "jobs", "usage", "usage_daily", "webhook_deliveries", "kysely_migration"]),
    );
    // The schema's tables are empty even though public.usage has a row from the test above.
    expect(await db.selectFrom("usage").selectAll().execute()).toEqual([]);
  });

  it("upgrades a database holding 0001 data in place, and 0002 rolls back", async () => {
    const db = connect("ledger_schema_c");
    const migratorOf = (migrations: Record<string, Migration>) =>
      new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(migrations) },
        migrationTableSchema: "ledger_schema_c",
      });
    const first = await migratorOf({ "0001_ledger": migration0001Ledger }).migrateToLatest();
    expect(first.error).toBeUndefined();
    const at = new Date("2026-11-26T10:00:00Z");
    const identity = { tenant: "t", kind: "chat", family: "openai", model: "m" };
    await sql`insert into jobs (id, tenant, kind, family, model, status, created_at)
      values ('job_old', 't', 'chat', 'openai', 'm', 'failed', ${at})`.execute(db);
    await sql`insert into usage (job_id, tenant, kind, family, model, outcome, recorded_at)
      values ('job_old', 't', 'chat', 'openai', 'm', 'failed', ${at})`.execute(db);

    expect(await migrateToLatest(db)).toEqual(["0002_media_webhooks"]);
    expect(await db.selectFrom("usage").selectAll().executeTakeFirstOrThrow()).toMatchObject({
      job_id: "job_old",
      images: 0,
      video_seconds: 0,
      stream_end: null,
    });
    expect(await db.selectFrom("jobs").selectAll().executeTakeFirstOrThrow()).toMatchObject({
      progress: 0,
      stream_end: null,
      upstream_task_id: null,
    });
    await db
      .insertInto("jobs")
      .values({ ...identity, id: "job_new", status: "cancelled", created_at: at })
      .execute();
    const usage = { ...identity, job_id: "job_new", recorded_at: at, stream_end: "client_closed" as const };
    await db
      .insertInto("usage")
      .values({ ...usage, outcome: "cancelled" })
      .execute();
    await expect(
      db
        .insertInto("usage")
        .values({ ...usage, job_id: "job_old", outcome: "expired" as "failed" })
        .onConflict((oc) => oc.doNothing())
        .execute(),
    ).rejects.toThrow(/usage_outcome_check/);
    await db
      .insertInto("webhook_deliveries")
      .values({
        job_id: "job_new",
        webhook_id: "evt_new",
        attempt: 1,
        url: "https://example.com/hook",
        event_type: "job.cancelled",
        http_status: 204,
        outcome: "delivered",
        error: null,
        latency_ms: 12,
        retry_in_ms: null,
        attempted_at: at,
        trace_id: null,
      })
      .execute();
    const [daily] = await db.selectFrom("usage_daily").selectAll().execute();
    expect(daily).toMatchObject({
      requests: 2,
      failed_requests: 1,
      cancelled_requests: 1,
      images: 0,
      video_seconds: 0,
    });

    const all = migratorOf({ "0001_ledger": migration0001Ledger, "0002_media_webhooks": migration0002MediaWebhooks });
    const down = await all.migrateDown();
    expect(down.error).toBeUndefined();
    const columns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
      where table_schema = 'ledger_schema_c' and table_name = 'usage_daily'`.execute(db);
    expect(columns.rows.map((c) => c.column_name)).not.toContain("images");
    expect(await migrateToLatest(db)).toEqual(["0002_media_webhooks"]);
  });

  it("names the migration that failed", async () => {
    const db = connect("ledger_schema_b");
    await sql`create schema ledger_schema_b`.execute(db);
    await sql`create table ledger_schema_b.jobs (id text)`.execute(db);
    await expect(migrateToLatest(db)).rejects.toThrow(/^migration 0001_ledger failed: .*"jobs" already exists/);
  });

  it("rejects a schema name that is not a plain identifier", () => {
    expect(() => createDb({ url: tmp.url, schema: "x; drop table jobs" })).toThrow(/invalid schema name/);
  });
});
