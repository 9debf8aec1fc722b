import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createDatabase, dropDatabase } from "./database.js";
import { withDatabase } from "./postgres-probe.js";

// The server the global setup found or started (an embedded one has a password).
const adminUrl = process.env.SWITCHYARD_TEST_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    return Boolean((await client.query("select 1 from pg_database where datname = $1", [name])).rowCount);
  } finally {
    await client.end();
  }
}

describe("createDatabase / dropDatabase", () => {
  it("creates a database once, returns its URL and drops it despite open connections", async () => {
    const name = `devstack_test_${randomBytes(4).toString("hex")}`;
    const urls = await Promise.all([createDatabase(adminUrl, name), createDatabase(adminUrl, name)]);
    expect(urls).toEqual([withDatabase(adminUrl, name), withDatabase(adminUrl, name)]);
    expect(await createDatabase(adminUrl, name)).toBe(urls[0]);

    const session = new pg.Client(urls[0]);
    session.on("error", () => {});
    await session.connect();
    expect((await session.query<{ db: string }>("select current_database() as db")).rows[0]?.db).toBe(name);

    await dropDatabase(adminUrl, name);
    expect(await databaseExists(name)).toBe(false);
    await expect(session.query("select 1")).rejects.toThrow();
    await session.end().catch(() => {});

    await dropDatabase(adminUrl, name);
  });

  it("rejects names that are not plain lowercase identifiers", async () => {
    await expect(createDatabase(adminUrl, 'x"; drop database postgres; --')).rejects.toThrow(/invalid database name/);
    await expect(createDatabase(adminUrl, "Upper")).rejects.toThrow(/invalid database name/);
    await expect(createDatabase(adminUrl, "a".repeat(64))).rejects.toThrow(/invalid database name/);
    await expect(dropDatabase(adminUrl, "postgres")).rejects.toThrow(/refusing/);
  });
});
