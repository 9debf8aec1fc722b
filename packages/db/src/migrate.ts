import { Migrator, type Kysely, type Migration } from "kysely";
import { schemaOf } from "./create-db.js";
import type { Database } from "./schema.js";
import { migration0001Ledger } from "./migrations/0001_ledger.js";
import { migration0002MediaWebhooks } from "./migrations/0002_media_webhooks.js";

/**
 * Every migration, in order. Imported statically rather than read from a folder, so the same
 * code runs under tsx, from a bundle and from compiled output. Never rename or edit an entry
 * once released: add the next one.
 */
const migrations: Record<string, Migration> = {
  "0001_ledger": migration0001Ledger,
  "0002_media_webhooks": migration0002MediaWebhooks,
};

export interface MigrateOptions {
  /** Defaults to the schema `createDb` was given, else `public`. */
  schema?: string;
}

/**
 * Applies every pending migration, each in its own transaction, under Kysely's migration lock
 * (so several processes may call it at start). Returns the names applied, empty when the
 * database was up to date; throws naming the migration that failed.
 *
 * @example
 * const applied = await migrateToLatest(db); // ["0001_ledger", "0002_media_webhooks"] the first time, [] after
 */
export async function migrateToLatest(db: Kysely<Database>, options: MigrateOptions = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    // Naming the schema makes Kysely create it and look for its bookkeeping tables only there,
    // not in whichever schema of the database happens to hold a `kysely_migration` table.
    migrationTableSchema: options.schema ?? schemaOf(db) ?? "public",
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (failed) {
    throw new Error(`migration ${failed.migrationName} failed: ${messageOf(error)}`, { cause: error });
  }
  if (error) throw new Error(`migrations could not run: ${messageOf(error)}`, { cause: error });
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
