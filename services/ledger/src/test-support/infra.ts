import type { Kysely } from "kysely";
import { connectBus, ensureLedgerConsumer, ensureStreams, type BusConnection } from "@switchyard/bus";
import { parseCatalog, type Catalog } from "@switchyard/catalog";
import { createNames, randomId, type Names } from "@switchyard/contracts";
import {
  createDb,
  createTemporaryDatabase,
  migrateToLatest,
  type Database,
  type TemporaryDatabase,
} from "@switchyard/db";

// The global test setup exports where NATS and PostgreSQL are; these defaults are the local ones.
export const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
export const pgAdminUrl = process.env.SWITCHYARD_TEST_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Priced routes: chat in USD per million tokens, images per image, video per second. */
export const catalog: Catalog = parseCatalog(
  `
routes:
  sim-gpt-4o-mini:
    dialect: openai
    base_url: http://127.0.0.1:1/v1
    upstream_model: gpt-4o-mini
    price: { input: 0.15, output: 0.60, cached_input: 0.075 }
  sim-gpt-4o:
    dialect: openai
    base_url: http://127.0.0.1:1/v1
    upstream_model: gpt-4o
    price: { input: 2.50, output: 10.00 }
  sim-gpt-image-1:
    dialect: openai
    base_url: http://127.0.0.1:1/v1
    upstream_model: gpt-image-1
    price: { input: 5.00, output: 40.00, per_image: 0.04 }
  sim-sora-2:
    dialect: video-task
    base_url: http://127.0.0.1:1/v1
    upstream_model: sora-2
    price: { per_second: 0.10 }
models:
  gpt-4o-mini: { kind: chat, family: openai, routes: [sim-gpt-4o-mini, sim-gpt-4o] }
  gpt-4o: { kind: chat, family: openai, routes: [sim-gpt-4o] }
  gpt-image-1: { kind: image, family: openai, routes: [sim-gpt-image-1] }
  sora-2: { kind: video, family: video, routes: [sim-sora-2] }
`,
  {},
);

/** A database of the test's own, migrated unless `migrate: false`. */
export async function testDatabase(options: { migrate?: boolean; deferCreate?: boolean } = {}): Promise<{
  tmp: TemporaryDatabase;
  db: Kysely<Database>;
  cleanup(): Promise<void>;
}> {
  const tmp = await createTemporaryDatabase({
    adminUrl: pgAdminUrl,
    prefix: "ledger_test",
    deferCreate: options.deferCreate,
  });
  const db = createDb({ url: tmp.url, max: 4 });
  if (options.migrate ?? !options.deferCreate) await migrateToLatest(db);
  return {
    tmp,
    db,
    cleanup: async () => {
      await db.destroy();
      await tmp.drop();
    },
  };
}

/** Streams of the test's own (`L<random>_EVENTS`) and the ledger consumer on them. */
export async function testStreams(): Promise<{ bus: BusConnection; names: Names; cleanup(): Promise<void> }> {
  const names = createNames(`l${randomId(10).toLowerCase()}`);
  const bus = await connectBus({ servers: natsUrl, name: "ledger-test" });
  await ensureStreams(bus.jsm, names);
  await ensureLedgerConsumer(bus.jsm, names);
  return {
    bus,
    names,
    cleanup: async () => {
      await bus.jsm.streams.delete(names.eventsStream).catch(() => false);
      await bus.jsm.streams.delete(names.jobsStream).catch(() => false);
      await bus?.jsm.streams.delete(names.webhooksStream).catch(() => false);
      await bus.close();
    },
  };
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A logger that keeps its lines, for asserting on what was logged. */
export function recordingLogger(): {
  lines: string[];
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
} {
  const lines: string[] = [];
  const push = (m: string): void => {
    lines.push(m);
  };
  return { lines, info: push, warn: push, error: push };
}
