import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import { preparedStatementPool } from "./prepared-pool.js";
import type { Database } from "./schema.js";

export interface CreateDbOptions {
  /** `postgres://user@host:port/database` */
  url: string;
  /**
   * Put every table in this schema instead of `public` (it becomes each connection's
   * `search_path`; `migrateToLatest` creates it). Tests use it to isolate themselves.
   */
  schema?: string;
  /** Pool size. */
  max?: number;
  /**
   * Prepare each parameterised statement once per connection (the default). Off behind a
   * pooler that shares server sessions between clients without tracking prepared statements.
   */
  preparedStatements?: boolean;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /**
   * Errors of pooled connections, idle or checked out (a restarted server ends every one).
   * The pool drops the broken connection and opens a new one on the next query; without a
   * listener, Node would crash.
   */
  onError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const OID_INT8 = 20;
const OID_NUMERIC = 1700;
const OID_DATE = 1082;

const schemas = new WeakMap<Kysely<Database>, string>();

/**
 * Parsers of this pool only (not pg's global registry, which other code in the process may
 * rely on): `bigint` and `numeric` become numbers, so counts, token sums and costs are JSON
 * numbers; `date` stays a `YYYY-MM-DD` string instead of a local-midnight `Date`.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format !== "binary") {
      if (oid === OID_INT8 || oid === OID_NUMERIC) return (value: string) => Number(value);
      if (oid === OID_DATE) return (value: string) => value;
    }
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * A Kysely instance over its own `pg.Pool`, running parameterised statements prepared
 * (see `preparedStatementPool`) unless `preparedStatements` is false. `destroy()` closes the pool.
 *
 * @example
 * const db = createDb({ url: "postgres://postgres@127.0.0.1:5432/switchyard" });
 * await migrateToLatest(db);
 * await db.selectFrom("usage").selectAll().execute();
 */
export function createDb(options: CreateDbOptions): Kysely<Database> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid schema name '${options.schema}': use [a-z_][a-z0-9_]*`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    // Fail a query fast while the server is unreachable instead of queueing it forever.
    connectionTimeoutMillis: 5_000,
    application_name: options.applicationName,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
    types,
  });
  // Each client reports its own errors, checked out or not: the pool listens to idle clients
  // only, and a checked-out one that has no statement running (between two, or the instant
  // after one answered, before its release) would emit an 'error' nobody hears, which throws.
  // A statement running gets the error itself; the broken client is dropped at its release.
  // Reported once per connection: a lost one emits its cause, then the socket's end.
  pool.on("connect", (client) => {
    let reported = false;
    client.on("error", (error) => {
      if (reported) return;
      reported = true;
      options.onError?.(error);
    });
  });
  // An idle client's error, already reported by the client's own listener above.
  pool.on("error", () => undefined);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: options.preparedStatements === false ? pool : preparedStatementPool(pool) }),
  });
  if (options.schema) schemas.set(db, options.schema);
  return db;
}

/** The schema `createDb` was given for `db`, if any. */
export function schemaOf(db: Kysely<Database>): string | undefined {
  return schemas.get(db);
}
