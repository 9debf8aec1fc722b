import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { sql } from "kysely";
import { createDb } from "./create-db.js";
import { createTemporaryDatabase, type TemporaryDatabase } from "./temporary-database.js";

// The server the global setup found or started (an embedded one has a password).
const adminUrl =
  process.env.SWITCHYARD_TEST_PG_ADMIN_URL ??
  process.env.DATABASE_ADMIN_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";

describe("createDb: connections the server ends", () => {
  let tmp: TemporaryDatabase;
  let admin: pg.Client;

  beforeAll(async () => {
    tmp = await createTemporaryDatabase({ adminUrl, prefix: "db_lost" });
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await tmp?.drop();
  });

  // PostgreSQL ends every backend with FATAL 57P01 when it restarts (or pg_terminate_backend
  // does). A connection checked out of the pool with no statement running (between two of
  // them, or the instant after one answered, before it is released) used to get that error
  // as an 'error' event on its client with no listener: Node crashed the ledger.
  it("reports the loss of a checked-out connection between statements, and carries on with a new one", async () => {
    const errors: Error[] = [];
    const db = createDb({ url: tmp.url, max: 1, onError: (error) => errors.push(error) });
    try {
      await db.connection().execute(async (conn) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
        await admin.query("select pg_terminate_backend($1)", [rows[0]!.pid]);
        const deadline = Date.now() + 5_000;
        while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        await expect(sql`select 1`.execute(conn)).rejects.toThrow();
      });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: "57P01" });
      // The broken connection left the pool: the next statement gets a new one.
      const { rows } = await sql<{ one: number }>`select 1::int as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });
});
