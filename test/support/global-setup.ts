import { join } from "node:path";
import { findOrStartNats, findOrStartPostgres } from "@switchyard/devstack";

const root = join(import.meta.dirname, "..", "..");

/**
 * Runs once per `vitest run`: finds the NATS and PostgreSQL the tests talk to (or starts
 * them, as `npm start` does) and hands their URLs to every test process through the
 * environment. Each test then makes its own streams namespace and its own database.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const log = (line: string): void => console.log(`[test-infra] ${line}`);
  const dataDir = join(root, ".data", "test");
  const nats = await findOrStartNats({ env: process.env, dataDir, log });
  const postgres = await findOrStartPostgres({ env: process.env, dataDir, log });
  process.env.NATS_URL = nats.url;
  process.env.SWITCHYARD_TEST_PG_ADMIN_URL = postgres.adminUrl;
  return async () => {
    await postgres.stop();
    await nats.stop();
  };
}
