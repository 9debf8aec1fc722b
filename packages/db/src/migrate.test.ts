import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, type Kysely } from "kysely";
import { createDb } from "./create-db.js";
import { migrateToLatest } from "./migrate.js";
import { createTemporaryDatabase, type TemporaryDatabase } from "./temporary-database.js";
import type { Database } from "./schema.js";

const adminUrl = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

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
    expect(await migrateToLatest(db)).toEqual(["0001_ledger"]);
    expect(await migrateToLatest(db)).toEqual([]);
    const tables = await db.introspection.getTables();
    const names = tables
      .filter((t) => t.schema === "public")
      .map((t) => t.name)
      .sort();
    expect(names).toEqual(["attempts", "jobs", "usage", "usage_daily"]);
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
        cost_usd: 0.0000123,
        outcome: "completed",
        recorded_at: recordedAt,
      })
      .execute();
    const usage = await db.selectFrom("usage").selectAll().executeTakeFirstOrThrow();
    expect(usage.cost_usd).toBe(0.0000123);
    expect(usage.prompt_tokens).toBe(10);
    expect(usage.recorded_at).toBeInstanceOf(Date);
    const daily = await db.selectFrom("usage_daily").selectAll().execute();
    expect(daily).toEqual([
      {
        day: "2026-11-26",
        tenant: "t",
        model: "m",
        requests: 1,
        failed_requests: 0,
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        cached_tokens: 0,
        reasoning_tokens: 0,
        cost_usd: 0.0000123,
      },
    ]);
  });

  it("isolates a schema: creates it and puts the tables there", async () => {
    const db = connect("ledger_schema_a");
    expect(await migrateToLatest(db)).toEqual(["0001_ledger"]);
    expect(await migrateToLatest(db)).toEqual([]);
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'ledger_schema_a' order by 1`.execute(db);
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["attempts", "jobs", "usage", "usage_daily", "kysely_migration"]),
    );
    // The schema's tables are empty even though public.usage has a row from the test above.
    expect(await db.selectFrom("usage").selectAll().execute()).toEqual([]);
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
