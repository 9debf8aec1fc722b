import { afterAll, beforeAll, expect, it } from "vitest";
import { connectBus, publishJson, type BusConnection } from "@switchyard/bus";
import { createNames, eventMessageId, randomId } from "@switchyard/contracts";
import { createDb, createTemporaryDatabase, type TemporaryDatabase } from "@switchyard/db";
import { loadConfig } from "./config.js";
import { run, type RunningLedger } from "./run.js";
import { completed, started } from "./test-support/events.js";
import { eventually, natsUrl, pgAdminUrl } from "./test-support/infra.js";

// The whole service in process, as main.ts starts it: configuration, migrations, NATS
// topology, the writer and the HTTP API, here with its tables in a schema of their own.
const namespace = `l${randomId(10).toLowerCase()}`;
const names = createNames(namespace);
let tmp: TemporaryDatabase;
let ledger: RunningLedger | undefined;
let bus: BusConnection;

beforeAll(async () => {
  tmp = await createTemporaryDatabase({ adminUrl: pgAdminUrl, prefix: "ledger_run" });
  bus = await connectBus({ servers: natsUrl, name: "ledger-run-test" });
});
afterAll(async () => {
  await ledger?.close();
  await bus?.jsm.streams.delete(names.eventsStream).catch(() => false);
  await bus?.jsm.streams.delete(names.jobsStream).catch(() => false);
  await bus?.jsm.streams.delete(names.webhooksStream).catch(() => false);
  await bus?.close();
  await tmp?.drop();
});

it("starts, records published events, serves usage over HTTP and stops cleanly", async () => {
  const config = loadConfig({
    NATS_URL: natsUrl,
    SWITCHYARD_NAMESPACE: namespace,
    DATABASE_URL: tmp.url,
    DATABASE_SCHEMA: "ledger",
    LEDGER_PORT: "0",
    LEDGER_LOG_LEVEL: "silent",
  });
  ledger = await run(config, { env: {} });
  expect(ledger.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${ledger.url}/readyz`)).status).toBe(200);

  const job = { jobId: `job_${randomId(12)}` };
  for (const event of [started(job), completed(job)]) {
    await publishJson(bus.js, names.eventSubject(job.jobId, event.type), event, { msgId: eventMessageId(event) });
  }
  const body = await eventually(async () => {
    const res = await fetch(`${ledger!.url}/v1/usage?from=2026-11-26&to=2026-11-26`);
    const json = (await res.json()) as { data: Array<Record<string, unknown>> };
    return json.data.length > 0 ? json : undefined;
  });
  // The catalog in config/catalog.yaml prices sim-gpt-4o-mini at 0.15 / 0.60, cached 0.075.
  expect(body.data).toEqual([
    expect.objectContaining({ day: "2026-11-26", model: "gpt-4o-mini", requests: 1, cost_usd: 0.000024 }),
  ]);

  await ledger.close();
  ledger = undefined;
  // The tables went to the configured schema.
  const db = createDb({ url: tmp.url, schema: "ledger", max: 1 });
  try {
    const rows = await db.selectFrom("jobs").select(["id", "status"]).execute();
    expect(rows).toEqual([{ id: job.jobId, status: "completed" }]);
  } finally {
    await db.destroy();
  }
});
