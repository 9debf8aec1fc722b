import {
  connectBus,
  decodeJson,
  deleteNamespaceStreams,
  encodeJson,
  ensureStreams,
  ensureWorkerConsumer,
  openArtifactStore,
  openStatusStore,
  openTaskStore,
  publishJson,
  startConsumeLoop,
  type ArtifactStore,
  type BusConnection,
  type ConsumeLoop,
  type StatusStore,
  type TaskStore,
} from "@switchyard/bus";
import { parseCatalog } from "@switchyard/catalog";
import {
  JobEvent,
  TokenChunk,
  createJobId,
  createNames,
  randomId,
  type CancelReason,
  type JobRecord,
  type JobSubmitted,
  type Names,
  type TerminalEvent,
} from "@switchyard/contracts";
import type { ProviderSource } from "../attempts.js";
import { systemClock, type Clock } from "../clock.js";
import { createJobConsumer, type JobConsumerConfig } from "../job-consumer.js";

// Against the real nats-server of the test run (NATS is never faked); upstreams are fake adapters.
export const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
export const FAMILY = "wtest";

export const testConfig: JobConsumerConfig = {
  maxDeliver: 3,
  ackWaitMs: 10_000,
  maxAttemptsPerRoute: 3,
  backoffBaseMs: 10,
  backoffMaxMs: 50,
  maxRetryAfterMs: 1000,
  finalPublishRetryMs: 2000,
  logJobs: false,
  streamWindow: 64,
  streamStallMs: 30_000,
  videoPollMs: 50,
  startedHoldMs: 20,
};

/** Every kind on fake routes: `chat-a` falls back to `chat-b`. Adapters are keyed by route id. */
export const TEST_CATALOG = parseCatalog(
  `
routes:
  chat-a: { dialect: openai, base_url: "http://chat-a.test/v1", upstream_model: a-model, timeout_ms: 5000, price: { input: 1, output: 1 } }
  chat-b: { dialect: openai, base_url: "http://chat-b.test/v1", upstream_model: b-model, timeout_ms: 5000, price: { input: 1, output: 1 } }
  img-a: { dialect: openai, base_url: "http://img-a.test/v1", upstream_model: img-model, timeout_ms: 5000, price: { per_image: 0.04 } }
  vid-a: { dialect: video-task, base_url: "http://vid-a.test/v1", upstream_model: vid-model, timeout_ms: 5000, price: { per_second: 0.1 } }
models:
  chat-model: { kind: chat, family: ${FAMILY}, routes: [chat-a, chat-b] }
  image-model: { kind: image, family: ${FAMILY}, routes: [img-a] }
  video-model: { kind: video, family: ${FAMILY}, routes: [vid-a] }
`,
  {},
);

export interface Stores {
  statusStore: StatusStore;
  taskStore: TaskStore;
  artifacts: ArtifactStore;
}

export interface Worker {
  readonly loop: ConsumeLoop;
  /** Handlers started by this worker and not finished yet. */
  readonly running: Set<Promise<void>>;
  stop(): Promise<void>;
}

export interface Submitted {
  job: JobSubmitted;
  /** Events and token chunks in the order this connection received them. */
  received: Array<{ kind: "event"; event: JobEvent } | { kind: "token"; chunk: TokenChunk }>;
  events(): JobEvent[];
  tokens(): TokenChunk[];
  terminal(): Promise<TerminalEvent>;
  /** Grants the worker flow credit, as the ingress does once it wrote chunks to the client. */
  credit(seq: number): void;
  cancel(reason: CancelReason): void;
}

export interface Harness extends Stores {
  readonly bus: BusConnection;
  readonly names: Names;
  /** Starts a worker of the family on its own connection (or the harness's). */
  startWorker(options: {
    providers: ProviderSource;
    config?: Partial<JobConsumerConfig>;
    family?: string;
    bus?: BusConnection;
    clock?: Clock;
    concurrency?: number;
  }): Promise<Worker>;
  /** Opens the stores over another connection, as a second worker process would. */
  openStores(bus: BusConnection): Promise<Stores>;
  newJob(overrides?: Partial<JobSubmitted>): JobSubmitted;
  /** The queued status record the ingress writes for a tracked job before publishing it. */
  createRecord(job: JobSubmitted, overrides?: Partial<JobRecord>): Promise<void>;
  submit(job: JobSubmitted): Promise<Submitted>;
  /** Every job message acked (or termed): the work queue is empty and nothing is pending. */
  jobsAcked(family?: string): Promise<true>;
  close(): Promise<void>;
}

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A namespace of its own on the real NATS server (streams, consumer, buckets), deleted again by
 * `close`, so tests never see each other's jobs.
 */
export async function openHarness(): Promise<Harness> {
  const bus = await connectBus({ servers: NATS_URL, name: "provider-worker-int-test" });
  const names = createNames(`w${randomId(10).toLowerCase()}`);
  await ensureStreams(bus.jsm, names, { duplicateWindowMs: 60_000, eventsMaxAgeMs: 600_000 });
  const openStores = async (b: BusConnection): Promise<Stores> => {
    const [statusStore, taskStore, artifacts] = await Promise.all([
      openStatusStore(b, names),
      openTaskStore(b.js, names),
      openArtifactStore(b.js, names),
    ]);
    return { statusStore, taskStore, artifacts };
  };
  const stores = await openStores(bus);
  const workers: Worker[] = [];
  const subscriptions: Array<{ unsubscribe(): void }> = [];

  const startWorker: Harness["startWorker"] = async (options) => {
    const family = options.family ?? FAMILY;
    const config = { ...testConfig, ...options.config };
    const workerBus = options.bus ?? bus;
    const consumerName = await ensureWorkerConsumer(bus.jsm, names, family, {
      ackWaitMs: config.ackWaitMs,
      maxDeliver: config.maxDeliver,
    });
    const jobs = createJobConsumer({
      bus: workerBus,
      names,
      catalog: TEST_CATALOG,
      providers: options.providers,
      ...(workerBus === bus ? stores : await openStores(workerBus)),
      clock: options.clock ?? systemClock,
      config,
      workerId: "int-test-worker",
    });
    const running = new Set<Promise<void>>();
    const consumer = await workerBus.js.consumers.get(names.jobsStream, consumerName);
    const loop = await startConsumeLoop(consumer, {
      concurrency: options.concurrency ?? 16,
      ackWaitMs: config.ackWaitMs,
      spanName: `process jobs.${family}`,
      handle: (msg) => {
        const task = jobs.handle(msg);
        running.add(task);
        return task.finally(() => running.delete(task));
      },
    });
    // A worker whose connection the test closes ends its loop with an error: that is the point.
    loop.done.catch(() => undefined);
    // A worker whose connection was closed (a "crash") has nothing left to stop.
    const worker: Worker = { loop, running, stop: () => (workerBus.nc.isClosed() ? Promise.resolve() : loop.stop()) };
    workers.push(worker);
    return worker;
  };

  const newJob = (overrides: Partial<JobSubmitted> = {}): JobSubmitted => {
    const now = Date.now();
    return {
      version: 1,
      id: createJobId(),
      kind: "chat",
      family: FAMILY,
      model: "chat-model",
      tenant: "tenant-int",
      request: { model: "chat-model", messages: [{ role: "user", content: "Say something nice" }] },
      createdAt: now,
      deadlineAt: now + 30_000,
      ...overrides,
    };
  };

  const createRecord: Harness["createRecord"] = async (job, overrides = {}) => {
    await stores.statusStore.create({
      version: 1,
      id: job.id,
      tenant: job.tenant,
      kind: job.kind,
      family: job.family,
      model: job.model,
      status: "queued",
      progress: 0,
      createdAt: job.createdAt,
      startedAt: null,
      finishedAt: null,
      request: job.request,
      metadata: job.metadata ?? null,
      webhook: job.webhook ?? null,
      error: null,
      result: null,
      usage: null,
      jobsSeq: null,
      upstreamTaskId: null,
      ...overrides,
    });
  };

  /** Listens on the job's events and tokens (as the ingress does), then publishes it. */
  const submit = async (job: JobSubmitted): Promise<Submitted> => {
    const received: Submitted["received"] = [];
    subscriptions.push(
      bus.nc.subscribe(names.jobEventsFilter(job.id), {
        callback: (_error, m) => {
          received.push({ kind: "event", event: JobEvent.parse(decodeJson(m.data)) });
        },
      }),
      bus.nc.subscribe(names.tokenSubject(job.id), {
        callback: (_error, m) => {
          // The worker asking whether anyone reads (see natsTokenChannels): as the ingress, yes.
          if (m.reply) m.respond();
          else received.push({ kind: "token", chunk: TokenChunk.parse(decodeJson(m.data)) });
        },
      }),
    );
    await bus.nc.flush();
    await publishJson(bus.js, names.jobSubject(job.family, job.kind), job, { msgId: job.id });
    const events = () => received.flatMap((r) => (r.kind === "event" ? [r.event] : []));
    return {
      job,
      received,
      events,
      tokens: () => received.flatMap((r) => (r.kind === "token" ? [r.chunk] : [])),
      terminal: () =>
        waitFor(() =>
          events().find(
            (e): e is TerminalEvent => e.type === "completed" || e.type === "failed" || e.type === "cancelled",
          ),
        ),
      credit: (seq) => bus.nc.publish(names.flowSubject(job.id), encodeJson({ seq })),
      cancel: (reason) => bus.nc.publish(names.cancelSubject(job.id), encodeJson({ reason })),
    };
  };

  const jobsAcked = (family = FAMILY): Promise<true> =>
    waitFor(async () => {
      const [stream, consumer] = await Promise.all([
        bus.jsm.streams.info(names.jobsStream),
        bus.jsm.consumers.info(names.jobsStream, names.familyConsumer(family)),
      ]);
      return stream.state.messages === 0 && consumer.num_ack_pending === 0 && consumer.num_pending === 0;
    });

  return {
    bus,
    names,
    ...stores,
    startWorker,
    openStores,
    newJob,
    createRecord,
    submit,
    jobsAcked,
    close: async () => {
      for (const sub of subscriptions) sub.unsubscribe();
      await Promise.allSettled(workers.map((w) => w.stop()));
      await deleteNamespaceStreams(bus.jsm, names).catch(() => undefined);
      await bus.close();
    },
  };
}
