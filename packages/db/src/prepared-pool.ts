import { createHash } from "node:crypto";
import type pg from "pg";
import type { PostgresPool, PostgresPoolClient } from "kysely";

/**
 * Parameterised statements prepared per connection, up to this many distinct texts; later
 * ones run unnamed. Our statements come from a fixed set of query builders, so the bound is
 * never reached in practice; it keeps a stray dynamic statement from growing the server's
 * per-connection cache without end.
 */
const MAX_PREPARED_PER_CONNECTION = 200;

/** What a client remembers: statement text → name, for the texts it prepared. */
const preparedOn = new WeakMap<pg.PoolClient, Map<string, string>>();

/**
 * A pool for Kysely whose clients run every statement that has parameters as a named
 * (prepared) statement: PostgreSQL parses and plans it once per connection instead of on
 * every call. The ledger runs the same statement for every batch, whatever its size (one
 * array parameter per column), and parsing and planning took a quarter of each batch's
 * server time. `pg` sends the Parse only on a connection's first use
 * of a name; a statement without parameters (`begin`, DDL) goes through unchanged.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedStatementPool(new pg.Pool()) }) });
 */
export function preparedStatementPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => withPreparedStatements(await pool.connect()),
    end: () => pool.end(),
  };
}

function withPreparedStatements(client: pg.PoolClient): PostgresPoolClient {
  return {
    query: ((textOrCursor: unknown, values?: readonly unknown[]) => {
      // A cursor (Kysely's streaming) or a statement without parameters goes through as it is.
      if (typeof textOrCursor !== "string" || values === undefined || values.length === 0) {
        return (client.query as (...args: unknown[]) => unknown)(textOrCursor, values);
      }
      const name = statementName(client, textOrCursor);
      return name === undefined
        ? client.query(textOrCursor, values as unknown[])
        : client.query({ name, text: textOrCursor, values: values as unknown[] });
    }) as unknown as PostgresPoolClient["query"],
    release: () => client.release(),
  };
}

function statementName(client: pg.PoolClient, text: string): string | undefined {
  let names = preparedOn.get(client);
  if (!names) {
    names = new Map();
    preparedOn.set(client, names);
  }
  const known = names.get(text);
  if (known !== undefined || names.size >= MAX_PREPARED_PER_CONNECTION) return known;
  // Named by content, so one text always maps to one name on a connection.
  const name = `sy_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
  names.set(text, name);
  return name;
}
