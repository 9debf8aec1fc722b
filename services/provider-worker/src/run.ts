import { hostname } from "node:os";
import {
  connectBus,
  ensureStreams,
  ensureWorkerConsumer,
  openArtifactStore,
  openStatusStore,
  openTaskStore,
  startConsumeLoop,
} from "@switchyard/bus";
import { loadCatalog } from "@switchyard/catalog";
import { createNames } from "@switchyard/contracts";
import { createUpstreamAgent } from "@switchyard/providers";
import type { Telemetry } from "@switchyard/telemetry";
import { systemClock } from "./clock.js";
import { defaultConcurrency, type WorkerConfig } from "./config.js";
import { createJobConsumer } from "./job-consumer.js";
import { createConsoleLogger } from "./logger.js";
import { createProviderRegistry } from "./provider-registry.js";

export interface RunOptions {
  config: WorkerConfig;
  /** For `${VAR}` references and API keys in the catalog file. */
  env: Readonly<Record<string, string | undefined>>;
  telemetry: Telemetry;
}

/**
 * Consumes the family's jobs until SIGTERM/SIGINT. Shutdown order: stop pulling, let in-flight
 * jobs finish up to the grace period (unfinished ones are redelivered after the ack wait),
 * drain NATS so the last acks and events go out, close upstream connections, flush telemetry.
 */
export async function run({ config, env, telemetry }: RunOptions): Promise<void> {
  const { family } = config;
  const logger = createConsoleLogger();
  const catalog = loadCatalog(config.catalogPath, env);
  const models = catalog.listModels().filter((m) => m.family === family);
  if (models.length === 0) {
    throw new Error(
      `no model in ${config.catalogPath} belongs to family '${family}' (families: ${catalog.families().join(", ")})`,
    );
  }

  const agent = createUpstreamAgent();
  const providers = createProviderRegistry({ dispatcher: agent });
  providers.warm(models.flatMap((m) => m.routes));
  const concurrency = config.concurrency ?? defaultConcurrency(models.map((m) => m.kind));

  const names = createNames(config.namespace);
  const bus = await connectBus({ servers: [...config.natsServers], name: `worker-${family}` });
  await ensureStreams(bus.jsm, names);
  const consumerName = await ensureWorkerConsumer(bus.jsm, names, family, {
    ackWaitMs: config.ackWaitMs,
    maxDeliver: config.maxDeliver,
  });
  const consumer = await bus.js.consumers.get(names.jobsStream, consumerName);
  const [statusStore, taskStore, artifacts] = await Promise.all([
    openStatusStore(bus, names),
    openTaskStore(bus.js, names),
    openArtifactStore(bus.js, names),
  ]);
  const jobs = createJobConsumer({
    bus,
    names,
    catalog,
    providers,
    statusStore,
    taskStore,
    artifacts,
    clock: systemClock,
    config,
    workerId: `${family}@${hostname()}:${process.pid}`,
    logger,
  });
  const loop = await startConsumeLoop(consumer, {
    concurrency,
    ackWaitMs: config.ackWaitMs,
    spanName: `process jobs.${family}`,
    handle: (msg) => jobs.handle(msg),
    onError: (error, msg) =>
      logger.error("job handler failed; the job will be redelivered", { subject: msg.subject, error }),
  });

  let stopping = false;
  void loop.done.then(() => {
    if (stopping) return;
    logger.error("the job consumer stopped unexpectedly; exiting so the supervisor restarts the worker");
    process.exit(1);
  });

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      console.error(`provider-worker ${family}: second ${signal}, exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`provider-worker ${family}: ${signal} received, finishing in-flight jobs`);
    try {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        loop.stop().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownGraceMs))),
      ]);
      clearTimeout(timer);
      if (!finished) console.error(`provider-worker ${family}: grace period over; unfinished jobs will be redelivered`);
      await bus.close();
      await (finished ? agent.close() : agent.destroy());
      await telemetry.shutdown();
      process.exit(0);
    } catch (error) {
      console.error(`provider-worker ${family}: shutdown failed:`, error);
      process.exit(1);
    }
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, (s) => void stop(s));
  // Launchers wait for this line and may signal at once: the handlers above must already be in place.
  console.log(`provider-worker ${family} ready (concurrency ${concurrency})`);
}
