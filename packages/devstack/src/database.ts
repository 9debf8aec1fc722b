import pg from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { withDatabase } from "./postgres-probe.js";

const validName = /^[a-z0-9_]+$/;
const protectedNames = new Set(["postgres", "template0", "template1"]);

/**
 * Creates database `name` unless it exists, and returns its URL (the admin URL with the
 * database swapped). Safe to call concurrently, also for the same name.
 *
 * @example
 * const url = await createDatabase(pg.adminUrl, `test_${process.pid}`);
 */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  checkName(name);
  await withAdmin(adminUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      const found = await client.query("select 1 from pg_database where datname = $1", [name]);
      if (found.rowCount) return;
      try {
        await client.query(`create database ${client.escapeIdentifier(name)}`);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        // 42P04/23505: created concurrently by someone else. 55006: template1 busy copying
        // for a concurrent CREATE DATABASE on older servers; retry shortly.
        if (code === "42P04" || code === "23505") return;
        if (code !== "55006" || attempt >= 5) throw error;
        await sleep(100 * attempt);
      }
    }
  });
  return withDatabase(adminUrl, name);
}

/**
 * Drops database `name` if it exists, disconnecting its sessions first.
 *
 * @example
 * await dropDatabase(pg.adminUrl, `test_${process.pid}`);
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  checkName(name);
  if (protectedNames.has(name)) throw new Error(`refusing to drop the ${name} database`);
  await withAdmin(adminUrl, async (client) => {
    const version = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    const identifier = client.escapeIdentifier(name);
    if (Number(version.rows[0]?.v) >= 130000) {
      await client.query(`drop database if exists ${identifier} with (force)`);
      return;
    }
    await client.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
      [name],
    );
    await client.query(`drop database if exists ${identifier}`);
  });
}

function checkName(name: string): void {
  // PostgreSQL silently truncates identifiers longer than 63 bytes.
  if (!validName.test(name) || name.length > 63) {
    throw new Error(`invalid database name ${JSON.stringify(name)}: use 1-63 characters from a-z, 0-9 and _`);
  }
}

async function withAdmin(adminUrl: string, run: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}
