import type { AddressInfo } from "node:net";
import { connectBus, ensureLedgerConsumer, ensureStreams } from "@switchyard/bus";
import { loadCatalog } from "@switchyard/catalog";
import { createNames } from "@switchyard/contracts";
import { createDb, migrateToLatest } from "@switchyard/db";
import type { LedgerConfig } from "./config.js";
import { isConnectionError, rootCause } from "./db-errors.js";
import { startEventWriter } from "./event-writer.js";
import { createLedgerApp } from "./http/app.js";

export interface RunOptions {
  /** The environment the catalog's `${VAR}` placeholders are filled from. */
  env: Readonly<Record<string, string | undefined>>;
}

export interface RunningLedger {
  /** The analyst API's address, with the port actually bound. */
  readonly url: string;
  /** Stops pulling, writes the batch in hand, then closes HTTP, NATS and PostgreSQL. */
  close(): Promise<void>;
}

const START_RETRY_MAX_MS = 5_000;

/**
 * Starts the ledger: migrations, the NATS topology, the event writer and the analyst API.
 * Opens every connection the ledger uses; `main.ts` calls it after starting telemetry.
 */
export async function run(config: LedgerConfig, options: RunOptions): Promise<RunningLedger> {
  const catalog = loadCatalog(config.catalogPath, options.env);
  const names = createNames(config.namespace);
  const log = (line: string): void => console.error(line);
  const db = createDb({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    // One transaction at a time writes; the rest serves the analyst API and readiness.
    max: 6,
    applicationName: "switchyard-ledger",
    preparedStatements: config.preparedStatements,
    onError: (error) => log(`ledger: PostgreSQL connection lost: ${error.message}`),
  });
  try {
    if (config.migrate) {
      const applied = await untilReachable("migrate PostgreSQL", () => migrateToLatest(db), log);
      if (applied.length > 0) log(`ledger: applied migrations ${applied.join(", ")}`);
    }
    const bus = await connectBus({ servers: [...config.natsServers], name: "ledger" });
    try {
      await ensureStreams(bus.jsm, names);
      await ensureLedgerConsumer(bus.jsm, names);
      const http = createLedgerApp({ db, config, bus });
      const writer = await startEventWriter({
        js: bus.js,
        names,
        db,
        pricing: catalog,
        batchSize: config.batchSize,
        flushMs: config.flushMs,
        logger: { info: log, warn: log, error: log },
      });
      try {
        await http.listen({ host: config.host, port: config.port });
      } catch (error) {
        await writer.stop();
        throw error;
      }
      const { port } = http.server.address() as AddressInfo;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      const url = `http://${host}:${port}`;
      console.log(`ledger listening on ${url}`);
      let closing: Promise<void> | undefined;
      return {
        url,
        close: () =>
          (closing ??= (async () => {
            await writer.stop();
            await http.close();
            await bus.close();
            await db.destroy();
          })()),
      };
    } catch (error) {
      await bus.close();
      throw error;
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/**
 * Retries `step` while PostgreSQL cannot be reached (it may start after the ledger, as in
 * `npm start`); any other failure, such as a migration that fails, ends the start.
 */
async function untilReachable<T>(what: string, step: () => Promise<T>, log: (line: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      const delay = Math.min(START_RETRY_MAX_MS, 250 * 2 ** (attempt - 1));
      log(`ledger: cannot ${what} yet (${rootMessage(error)}); retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function rootMessage(error: unknown): string {
  const root = rootCause(error);
  return root instanceof Error ? root.message || root.name : String(root);
}
