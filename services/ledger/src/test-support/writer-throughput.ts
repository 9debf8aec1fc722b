/**
 * Measures the event writer against the local NATS and PostgreSQL:
 *   node_modules/.bin/tsx services/ledger/src/test-support/writer-throughput.ts [jobs=20000] [batchSize=500]
 * It fills a stream of its own with three events per job (started, attempt, completed), in the
 * order a busy system produces them (a job's events far apart), then times the writer draining it.
 */
import { connectBus, encodeJson, ensureLedgerConsumer, ensureStreams } from "@switchyard/bus";
import { createNames, eventMessageId, randomId, type JobEvent } from "@switchyard/contracts";
import { createDb, createTemporaryDatabase, migrateToLatest } from "@switchyard/db";
import { startEventWriter } from "../event-writer.js";
import { attempt, completed, started } from "./events.js";
import { catalog, natsUrl, pgAdminUrl, recordingLogger } from "./infra.js";

const jobs = Number(process.argv[2] ?? 20_000);
const batchSize = Number(process.argv[3] ?? 500);

const tmp = await createTemporaryDatabase({ adminUrl: pgAdminUrl, prefix: "ledger_bench" });
const db = createDb({ url: tmp.url, max: 4 });
const names = createNames(`lb${randomId(8).toLowerCase()}`);
const bus = await connectBus({ servers: natsUrl, name: "ledger-throughput" });
try {
  await migrateToLatest(db);
  await ensureStreams(bus.jsm, names);
  await ensureLedgerConsumer(bus.jsm, names);
  const ids = Array.from({ length: jobs }, () => ({ jobId: `job_${randomId(16)}` }));
  const events: JobEvent[] = [
    ...ids.map((job) => started(job)),
    ...ids.map((job) => attempt(job, "d1.a1")),
    ...ids.map((job) => completed(job)),
  ];
  for (let i = 0; i < events.length; i += 2_000) {
    await Promise.all(
      events
        .slice(i, i + 2_000)
        .map((e) => bus.js.publish(names.eventSubject(e.jobId, e.type), encodeJson(e), { msgID: eventMessageId(e) })),
    );
  }
  const logger = recordingLogger();
  const startedAt = Date.now();
  const writer = await startEventWriter({ js: bus.js, names, db, pricing: catalog, batchSize, flushMs: 20, logger });
  while (writer.stats().written < events.length) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (Date.now() - startedAt) / 1000;
  await writer.stop();
  const { written, batches } = writer.stats();
  console.log(
    `${written} events of ${jobs} jobs in ${seconds.toFixed(2)} s: ${Math.round(written / seconds)} events/s, ` +
      `${Math.round(jobs / seconds)} jobs/s, ${batches} batches${logger.lines.length ? `\n${logger.lines.join("\n")}` : ""}`,
  );
} finally {
  await bus.jsm.streams.delete(names.eventsStream).catch(() => false);
  await bus.jsm.streams.delete(names.jobsStream).catch(() => false);
  await bus?.jsm.streams.delete(names.webhooksStream).catch(() => false);
  await bus.close();
  await db.destroy();
  await tmp.drop();
}
