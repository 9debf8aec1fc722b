import type { FastifyInstance } from "fastify";
import {
  connectBus,
  decodeJson,
  ensureStreams,
  ensureWorkerConsumer,
  publishJson,
  startConsumeLoop,
  type BusConnection,
  type ConsumeLoop,
} from "@switchyard/bus";
import { parseCatalog, type Catalog } from "@switchyard/catalog";
import {
  JobSubmitted,
  createNames,
  eventMessageId,
  randomId,
  type EventError,
  type JobEvent,
  type Names,
} from "@switchyard/contracts";
import { createIngressApp } from "../app.js";
import { loadConfig, type IngressConfig } from "../config.js";
import type { IngressDeps } from "../deps.js";

/** The NATS the test command found or started (test/support/global-setup.ts), or the local default. */
export const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";

export const KEY_A = "sk-test-aaaaaaaaaaaaaaaa";
export const KEY_B = "sk-test-bbbbbbbbbbbbbbbb";
export const AUTH_A = { authorization: `Bearer ${KEY_A}` };

/** A small catalog: two chat models (one with a slash in its id) and an image model. */
export const TEST_CATALOG = `
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
  acme/llama-3.1-8b:
    kind: chat
    family: openai
    owned_by: acme
    created: 1721000000
    routes: [r1]
  gpt-image-1:
    kind: image
    family: openai
    owned_by: openai
    created: 1745000000
    routes: [r1]
`;

export function testNames(): Names {
  return createNames(`i${randomId(10).toLowerCase()}`);
}

export function testConfig(names: Names, env: Record<string, string> = {}): IngressConfig {
  return loadConfig({
    SWITCHYARD_NAMESPACE: names.namespace,
    SWITCHYARD_API_KEYS: `${KEY_A}=tenant-a,${KEY_B}=tenant-b`,
    ...env,
  });
}

export function testCatalog(): Catalog {
  return parseCatalog(TEST_CATALOG, {});
}

/** What the fake worker does with a job: answer it, fail it, or never answer. */
export type Reaction = { completed: Record<string, unknown> } | { failed: EventError } | "ignore";

/**
 * Stands in for provider-worker in route tests: a durable pull consumer on the namespace's JOBS
 * stream that publishes `started` and then the terminal event the test asks for.
 */
export interface FakeWorker {
  readonly jobs: JobSubmitted[];
  react: (job: JobSubmitted) => Reaction | Promise<Reaction>;
  stop(): Promise<void>;
}

export async function startFakeWorker(bus: BusConnection, names: Names): Promise<FakeWorker> {
  const consumerName = await ensureWorkerConsumer(bus.jsm, names, "openai", { ackWaitMs: 5_000 });
  const consumer = await bus.js.consumers.get(names.jobsStream, consumerName);
  const worker: FakeWorker = {
    jobs: [],
    react: (job) => ({ completed: chatCompletion(job.model, `echo ${job.id}`) }),
    stop: () => loop.stop(),
  };
  const loop: ConsumeLoop = await startConsumeLoop(consumer, {
    concurrency: 16,
    spanName: "fake worker",
    handle: async (msg) => {
      const job = JobSubmitted.parse(decodeJson(msg.data));
      worker.jobs.push(job);
      msg.ack();
      const identity = {
        version: 1 as const,
        jobId: job.id,
        tenant: job.tenant,
        kind: job.kind,
        family: job.family,
        model: job.model,
        createdAt: job.createdAt,
      };
      await publishEvent(bus, names, { ...identity, type: "started", at: Date.now(), delivery: 1, worker: "fake" });
      const reaction = await worker.react(job);
      if (reaction === "ignore") return;
      const base = { ...identity, at: Date.now(), attempts: 1, latencyMs: 1, usage: null };
      await publishEvent(
        bus,
        names,
        "completed" in reaction
          ? { ...base, type: "completed", route: "r1", result: reaction.completed }
          : { ...base, type: "failed", route: "r1", error: reaction.failed },
      );
    },
  });
  return worker;
}

export async function publishEvent(bus: BusConnection, names: Names, event: JobEvent): Promise<void> {
  await publishJson(bus.js, names.eventSubject(event.jobId, event.type), event, { msgId: eventMessageId(event) });
}

export function chatCompletion(model: string, content: string): Record<string, unknown> {
  return {
    id: `chatcmpl-${randomId(12)}`,
    object: "chat.completion",
    created: 1719168000,
    model,
    choices: [
      { index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" },
    ],
    usage: {
      prompt_tokens: 3,
      completion_tokens: 2,
      total_tokens: 5,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: "default",
    system_fingerprint: "fp_test",
  };
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly bus: BusConnection;
  readonly names: Names;
  readonly worker: FakeWorker;
  /** Every publish on the namespace's job subjects, duplicates included (a core subscription sees them all). */
  readonly published: string[];
  /** Messages JOBS ever stored (deduplicated ones are not). */
  storedJobCount(): Promise<number>;
  close(): Promise<void>;
}

/** A real NATS, a fresh namespace with both streams, the app and a fake worker. */
export async function createHarness(
  env: Record<string, string> = {},
  extra: Partial<Pick<IngressDeps, "clock" | "reportError">> = {},
): Promise<Harness> {
  const names = testNames();
  const bus = await connectBus({ servers: NATS_URL, name: "ingress-test" });
  const workerBus = await connectBus({ servers: NATS_URL, name: "ingress-test-worker" });
  await ensureStreams(bus.jsm, names, { duplicateWindowMs: 30_000, eventsMaxAgeMs: 600_000 });
  const worker = await startFakeWorker(workerBus, names);
  const published: string[] = [];
  const tap = bus.nc.subscribe(`${names.namespace}.jobs.>`, {
    callback: (_error, msg) => {
      published.push(String((decodeJson(msg.data) as { id?: unknown }).id));
    },
  });
  await bus.nc.flush();
  const app = createIngressApp({ config: testConfig(names, env), bus, names, catalog: testCatalog(), ...extra });
  return {
    app,
    bus,
    names,
    worker,
    published,
    storedJobCount: async () => (await bus.jsm.streams.info(names.jobsStream)).state.last_seq,
    close: async () => {
      await app.close();
      tap.unsubscribe();
      await worker.stop();
      await deleteStreams(bus, names);
      await workerBus.close();
      await bus.close();
    },
  };
}

export async function deleteStreams(bus: BusConnection, names: Names): Promise<void> {
  for (const stream of [names.jobsStream, names.eventsStream]) {
    await bus.jsm.streams.delete(stream).catch(() => false);
  }
}

export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }], ...extra };
}
