import { startEmbeddedPostgres } from "./embedded-postgres.js";
import { silent, type Log } from "./log.js";
import type { PostgresHandle } from "./postgres-handle.js";
import { probePostgres, redact, withDatabase } from "./postgres-probe.js";
import { isPortFree } from "./ports.js";

export interface FindOrStartPostgresOptions {
  /**
   * Reads DATABASE_URL, and SWITCHYARD_POSTGRES=embedded to skip straight to the embedded
   * server; default `process.env`.
   */
  env?: Record<string, string | undefined>;
  /** An embedded server keeps its cluster in `<dataDir>/postgres`. */
  dataDir: string;
  log?: Log;
  /** "embedded" ignores DATABASE_URL and a local server; default "auto". */
  prefer?: "auto" | "embedded";
}

const localUrl = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * Finds PostgreSQL, or starts one: `DATABASE_URL` if set (and it must answer), else a local
 * server on 127.0.0.1:5432 that lets user `postgres` in without a password, else an embedded
 * PostgreSQL from npm in `<dataDir>/postgres`.
 *
 * @example
 * const pg = await findOrStartPostgres({ env: process.env, dataDir: ".data", log: console.log });
 * const databaseUrl = await createDatabase(pg.adminUrl, "switchyard");
 * await pg.stop(); // stops the server only if it was started here
 */
export async function findOrStartPostgres(options: FindOrStartPostgresOptions): Promise<PostgresHandle> {
  const env = options.env ?? process.env;
  const log = options.log ?? silent;
  const embeddedOnly = options.prefer === "embedded" || env.SWITCHYARD_POSTGRES === "embedded";

  const configured = env.DATABASE_URL?.trim();
  if (configured && !embeddedOnly) {
    let adminUrl: string;
    try {
      adminUrl = withDatabase(configured, "postgres");
    } catch {
      throw new Error("DATABASE_URL is not a valid URL; expected postgres://user:password@host:5432/database");
    }
    const probe = await probePostgres(adminUrl);
    if (!probe.ok) {
      throw new Error(
        `DATABASE_URL points at a server that does not answer as ${redact(adminUrl)} (${probe.error}). Fix it, or unset DATABASE_URL to use a local or embedded PostgreSQL.`,
      );
    }
    log(`using PostgreSQL ${probe.version} from DATABASE_URL: ${redact(adminUrl)}`);
    return external(adminUrl);
  }

  if (!embeddedOnly) {
    const local = await probePostgres(localUrl);
    if (local.ok) {
      log(`using the PostgreSQL ${local.version} already running on 127.0.0.1:5432 as user postgres`);
      return external(localUrl);
    }
    if (!(await isPortFree(5432))) {
      log(
        `the PostgreSQL on 127.0.0.1:5432 does not let user postgres in without a password (${local.error}); starting an embedded one`,
      );
    }
  }

  return startEmbeddedPostgres({ dataDir: options.dataDir, log });
}

function external(adminUrl: string): PostgresHandle {
  return { adminUrl, started: false, stop: async () => {} };
}
