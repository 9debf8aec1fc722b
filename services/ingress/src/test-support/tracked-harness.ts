import type { FastifyInstance } from "fastify";
import {
  connectBus,
  decodeJson,
  deleteNamespaceStreams,
  ensureStreams,
  ensureWorkerConsumer,
  openArtifactStore,
  openStatusStore,
  publishJson,
  type ArtifactStore,
  type BusConnection,
  type StatusStore,
} from "@switchyard/bus";
import { parseCatalog, type Catalog } from "@switchyard/catalog";
import {
  JobSubmitted,
  eventMessageId,
  type EventError,
  type JobEvent,
  type JobRecord,
  type Names,
  type VideoResult,
} from "@switchyard/contracts";
import { createIngressApp } from "../app.js";
import type { IngressDeps } from "../deps.js";
import type { HostResolver } from "../webhooks/url-policy.js";
import { NATS_URL, testConfig, testNames } from "./harness.js";

export { AUTH_A, KEY_A, KEY_B } from "./harness.js";

/** Chat, image and video models in three families, so queue positions can be told apart. */
export const TRACKED_CATALOG = `
routes:
  r1:
    dialect: openai
    base_url: http://127.0.0.1:9/v1
    upstream_model: m
    price: { input: 1, output: 1 }
models:
  gpt-4o-mini:
    kind: chat
    family: openai
    owned_by: openai
    created: 1721172741
    routes: [r1]
  gpt-image-1:
    kind: image
    family: images
    owned_by: openai
    created: 1745000000
    routes: [r1]
  sora-2:
    kind: video
    family: video
    owned_by: openai
    created: 1759363200
    routes: [r1]
`;

/** Public addresses for names tests use, so no test depends on real DNS. */
export const testResolver: HostResolver = async (host) => {
  if (host === "hooks.example.com") return ["93.184.216.34"];
  if (host === "intranet.example.com") return ["10.0.0.7"];
  throw Object.assign(new Error(`no such host ${host}`), { code: "ENOTFOUND" });
};

/**
 * Stands in for the provider worker, one step at a time: the test takes a job off JOBS and
 * moves its record and events the way the worker does, so every state is reached on purpose.
 */
export interface FakeTrackedWorker {
  /** The next job of a family, acked (the queue moves on). */
  take(family: string): Promise<JobSubmitted>;
  start(job: JobSubmitted): Promise<JobRecord>;
  progress(job: JobSubmitted, progress: number): Promise<JobRecord>;
  complete(job: JobSubmitted, result: Record<string, unknown>): Promise<JobRecord>;
  fail(job: JobSubmitted, error: EventError): Promise<JobRecord>;
  /** Stores an MP4 at `<jobId>/video.mp4` and completes the job with its `VideoResult`. */
  completeVideo(job: JobSubmitted, mp4: Uint8Array): Promise<JobRecord>;
}

export interface TrackedHarness {
  readonly app: FastifyInstance;
  readonly bus: BusConnection;
  readonly names: Names;
  readonly catalog: Catalog;
  readonly statusStore: StatusStore;
  readonly artifacts: ArtifactStore;
  readonly worker: FakeTrackedWorker;
  /** Another app on the same namespace, e.g. with other settings. */
  createApp(env?: Record<string, string>, extra?: Partial<IngressDeps>): FastifyInstance;
  close(): Promise<void>;
}

/** A real NATS, a fresh namespace (streams, status bucket, object store) and the app. */
export async function createTrackedHarness(
  env: Record<string, string> = {},
  extra: Partial<IngressDeps> = {},
): Promise<TrackedHarness> {
  const names = testNames();
  const bus = await connectBus({ servers: NATS_URL, name: "ingress-tracked-test" });
  await ensureStreams(bus.jsm, names, { duplicateWindowMs: 30_000, eventsMaxAgeMs: 600_000 });
  const statusStore = await openStatusStore(bus, names);
  const artifacts = await openArtifactStore(bus.js, names);
  const catalog = parseCatalog(TRACKED_CATALOG, {});
  const apps: FastifyInstance[] = [];
  const createApp = (appEnv: Record<string, string> = {}, appExtra: Partial<IngressDeps> = {}): FastifyInstance => {
    const app = createIngressApp({
      config: testConfig(names, { ...env, ...appEnv }),
      bus,
      names,
      catalog,
      statusStore,
      artifacts,
      resolveHost: testResolver,
      ...extra,
      ...appExtra,
    });
    apps.push(app);
    return app;
  };
  return {
    app: createApp(),
    bus,
    names,
    catalog,
    statusStore,
    artifacts,
    worker: createFakeWorker(bus, names, statusStore, artifacts),
    createApp,
    close: async () => {
      for (const app of apps) await app.close();
      await deleteNamespaceStreams(bus.jsm, names).catch(() => undefined);
      await bus.close();
    },
  };
}

function createFakeWorker(
  bus: BusConnection,
  names: Names,
  statusStore: StatusStore,
  artifacts: ArtifactStore,
): FakeTrackedWorker {
  const change = async (job: JobSubmitted, patch: Partial<JobRecord>): Promise<JobRecord> => {
    const record = await statusStore.modify(job.tenant, job.id, (current) => ({ ...current, ...patch }));
    if (!record) throw new Error(`no record for ${job.id}`);
    return record;
  };
  const identity = (job: JobSubmitted) => ({
    version: 1 as const,
    jobId: job.id,
    tenant: job.tenant,
    kind: job.kind,
    family: job.family,
    model: job.model,
    createdAt: job.createdAt,
    at: Date.now(),
  });
  const terminal = { route: "r1", attempts: 1, latencyMs: 1, usage: null, streamEnd: null, webhook: null, units: null };
  const publish = async (event: JobEvent): Promise<void> => {
    await publishJson(bus.js, names.eventSubject(event.jobId, event.type), event, { msgId: eventMessageId(event) });
  };

  const worker: FakeTrackedWorker = {
    take: async (family) => {
      const name = await ensureWorkerConsumer(bus.jsm, names, family, { ackWaitMs: 30_000 });
      const consumer = await bus.js.consumers.get(names.jobsStream, name);
      const msg = await consumer.next({ expires: 5_000 });
      if (!msg) throw new Error(`no ${family} job arrived`);
      await msg.ackAck();
      return JobSubmitted.parse(decodeJson(msg.data));
    },
    start: (job) => change(job, { status: "in_progress", startedAt: Date.now(), progress: 0 }),
    progress: (job, progress) => change(job, { status: "in_progress", progress }),
    complete: async (job, result) => {
      await publish({ ...identity(job), ...terminal, type: "completed", result });
      return change(job, { status: "completed", progress: 100, finishedAt: Date.now(), result });
    },
    fail: async (job, error) => {
      await publish({ ...identity(job), ...terminal, type: "failed", error });
      return change(job, { status: "failed", finishedAt: Date.now(), error });
    },
    completeVideo: async (job, mp4) => {
      const info = await artifacts.put(`${job.id}/video.mp4`, mp4, "video/mp4");
      const result: VideoResult = { artifact: info.name, contentType: "video/mp4", bytes: info.bytes };
      return worker.complete(job, result);
    },
  };
  return worker;
}

/** Creates the family consumers without taking anything, so queue positions have a reference point. */
export async function ensureFamilyConsumers(bus: BusConnection, names: Names, families: string[]): Promise<void> {
  for (const family of families) await ensureWorkerConsumer(bus.jsm, names, family, { ackWaitMs: 30_000 });
}
