import { randomBytes } from "node:crypto";
import pg from "pg";

export interface TemporaryDatabaseOptions {
  /** A URL to any database of the server, used to run `CREATE/DROP DATABASE`. */
  adminUrl: string;
  /** Name prefix, so leftovers of a crashed run are recognisable. */
  prefix?: string;
  /** Only reserve a name and URL; call `create()` later (to test a database that appears late). */
  deferCreate?: boolean;
}

export interface TemporaryDatabase {
  readonly name: string;
  /** `adminUrl` with the database name replaced. */
  readonly url: string;
  create(): Promise<void>;
  /** Drops it, disconnecting whoever is still connected. */
  drop(): Promise<void>;
}

/**
 * A fresh, uniquely named database for one test, so tests can run at once on one server.
 *
 * @example
 * const tmp = await createTemporaryDatabase({ adminUrl: "postgres://postgres@127.0.0.1:5432/postgres" });
 * const db = createDb({ url: tmp.url });
 * // ...
 * await db.destroy();
 * await tmp.drop();
 */
export async function createTemporaryDatabase(options: TemporaryDatabaseOptions): Promise<TemporaryDatabase> {
  const name = `${options.prefix ?? "switchyard_test"}_${randomBytes(6).toString("hex")}`;
  const url = new URL(options.adminUrl);
  url.pathname = `/${name}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: options.adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const database: TemporaryDatabase = {
    name,
    url: url.toString(),
    create: () => admin(`create database "${name}"`),
    drop: () => admin(`drop database if exists "${name}" with (force)`),
  };
  if (!options.deferCreate) await database.create();
  return database;
}
