import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, type Kysely } from "kysely";
import { createDb } from "./create-db.js";
import { createTemporaryDatabase, type TemporaryDatabase } from "./temporary-database.js";
import type { Database } from "./schema.js";

// The server the global setup found or started (an embedded one has a password).
const adminUrl =
  process.env.SWITCHYARD_TEST_PG_ADMIN_URL ??
  process.env.DATABASE_ADMIN_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";

describe("preparedStatementPool (through createDb)", () => {
  let tmp: TemporaryDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    tmp = await createTemporaryDatabase({ adminUrl, prefix: "db_prepared" });
    // One connection, so every statement below runs in the session that prepared the others.
    db = createDb({ url: tmp.url, max: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
    await tmp?.drop();
  });

  const prepared = async (): Promise<string[]> => {
    const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db);
    return rows.map((row) => row.statement);
  };

  it("prepares a statement with parameters once per connection and answers it each time", async () => {
    const query = (n: number) => sql<{ doubled: number }>`select ${n}::int * 2 as doubled`.execute(db);
    expect((await query(2)).rows).toEqual([{ doubled: 4 }]);
    expect((await query(21)).rows).toEqual([{ doubled: 42 }]);
    const statements = await prepared();
    expect(statements.filter((text) => text.includes("* 2 as doubled"))).toHaveLength(1);
  });

  it("runs statements without parameters unnamed", async () => {
    await sql`select 'no parameters' as label`.execute(db);
    expect((await prepared()).some((text) => text.includes("no parameters"))).toBe(false);
  });

  it("keeps working inside transactions and after an error in a prepared statement", async () => {
    await sql`create table prepared_probe (id int primary key)`.execute(db);
    const insert = (id: number) => sql`insert into prepared_probe (id) values (${id})`.execute(db);
    await db.transaction().execute(async (trx) => {
      await sql`insert into prepared_probe (id) values (${1})`.execute(trx);
    });
    await expect(insert(1)).rejects.toMatchObject({ code: "23505" });
    await insert(2);
    const { rows } = await sql<{ id: number }>`select id from prepared_probe order by id`.execute(db);
    expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("prepares nothing with preparedStatements: false (for poolers that cannot keep them)", async () => {
    const plain = createDb({ url: tmp.url, max: 1, preparedStatements: false });
    try {
      const rows = await sql<{ n: number }>`select ${7}::int as n`.execute(plain);
      expect(rows.rows).toEqual([{ n: 7 }]);
      const { rows: held } = await sql<{
        count: number;
      }>`select count(*)::int as count from pg_prepared_statements`.execute(plain);
      expect(held).toEqual([{ count: 0 }]);
    } finally {
      await plain.destroy();
    }
  });
});
