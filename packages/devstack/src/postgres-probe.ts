import pg from "pg";
import { errorMessage } from "./log.js";

export type PostgresProbe = { ok: true; version: string } | { ok: false; error: string };

/** Connects once and runs `show server_version`. */
export async function probePostgres(url: string, timeoutMs = 3_000): Promise<PostgresProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A connection the server drops after a failed probe must not crash the process.
  client.on("error", () => {});
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>("show server_version");
    return { ok: true, version: result.rows[0]?.server_version ?? "unknown" };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The same server URL with another database, keeping user, password and query parameters.
 *
 * @example
 * withDatabase("postgres://u:p@db:5432/app?sslmode=require", "postgres");
 * // "postgres://u:p@db:5432/postgres?sslmode=require"
 */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The URL without its password, for log lines. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
