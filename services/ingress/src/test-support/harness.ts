import type { FastifyInstance } from "fastify";
import {
  connectBus,
  decodeJson,
  deleteNamespaceStreams,
  encodeJson,
  ensureStreams,
  ensureWorkerConsumer,
  openArtifactStore,
  publishJson,
  replyTerminal,
  startConsumeLoop,
  type ArtifactStore,
  type BusConnection,
  type ConsumeLoop,
} from "@switchyard/bus";
import { parseCatalog, type Catalog } from "@switchyard/catalog";
import {
  CancelRequest,
  FlowCredit,
  JobSubmitted,
  createNames,
  eventMessageId,
  isTerminal,
  randomId,
  type EventError,
  type ImagesResult,
  type JobEvent,
  type Names,
  type TokenChunk,
  type Usage,
} from "@switchyard/contracts";
import { createIngressApp } from "../app.js";
import { loadConfig, type IngressConfig } from "../config.js";
import type { IngressDeps } from "../deps.js";

/** The NATS the test command found or started (test/support/global-setup.ts), or the local default. */
export const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";

export const KEY_A = "sk-test-aaaaaaaaaaaaaaaa";
export const KEY_B = "sk-test-bbbbbbbbbbbbbbbb";
export const AUTH_A = { authorization: `Bearer ${KEY_A}` };

/** The provider-worker's flow-control window: chunks it sends beyond the last credit. */
export const FLOW_WINDOW = 64;

/** A 1x1 PNG. */
export const PNG_BYTES = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

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

/** The fields every terminal event carries; null for a plain synchronous job. */
export const TERMINAL_DEFAULTS = { streamEnd: null, webhook: null, units: null } as const;

/**
 * A streamed answer as the fake worker plays it: one TokenChunk per delta (seq from 1), then a
 * chunk with an empty delta and the finish reason, within the flow-control window.
 */
export interface StreamScript {
  deltas: TokenChunk["delta"][];
  /** Default "stop"; null sends no finish chunk. */
  finishReason?: string | null;
  /** Sequence numbers never published: a lost message. */
  skip?: readonly number[];
  /** After this many chunks the worker stops sending and waits for a CancelRequest. */
  holdAfter?: number;
  /** Pause before each chunk. */
  delayMs?: number;
  /** After the tokens: complete with the assembled answer (default), fail, or say nothing. */
  end?: "complete" | { failed: EventError } | "ignore";
  /** False: the terminal event is stored, but its reply never reaches the ingress (lost to a reconnect). */
  reply?: boolean;
  usage?: Usage;
  /** The completed result's content; default the streamed text (keep events under NATS's 1 MB payload limit). */
  resultContent?: string;
}

export interface ImageScript {
  count?: number;
  bytes?: Uint8Array;
  contentType?: string;
  revisedPrompt?: string;
  /** The artifact name of image `index`; default `<jobId>/<index>.png`. */
  artifactName?: (job: JobSubmitted, index: number) => string;
}

/** What the fake worker does with a job: answer it, fail it, stream it, draw it, or never answer. */
export type Reaction =
  | { completed: Record<string, unknown> }
  | { failed: EventError }
  | { stream: StreamScript }
  | { images: ImageScript }
  | "ignore";

/** The worker's view of one streamed job. */
export interface StreamProgress {
  /** Highest seq published. */
  sent: number;
  /** Highest FlowCredit seq the ingress granted. */
  credit: number;
  /** Every credit message, in order. */
  credits: number[];
  cancel: CancelRequest | undefined;
  /** The worker is blocked on a full window. */
  stalled: boolean;
}

/**
 * Stands in for provider-worker in route tests: a durable pull consumer on the namespace's JOBS
 * stream that publishes `started` and then whatever the test asks for, with the real worker's
 * streaming protocol (tokens on the token subject, a window of FLOW_WINDOW unconfirmed chunks,
 * cancel requests honoured).
 */
export interface FakeWorker {
  readonly jobs: JobSubmitted[];
  react: (job: JobSubmitted) => Reaction | Promise<Reaction>;
  /**
   * False (the default): a job is acked on receipt, so one the test ignores is never
   * redelivered. True: after its terminal event, as the real worker does, so `JOBS` holds a
   * job while it runs.
   */
  ackAfterAnswer: boolean;
  /** Streamed jobs' progress, by job id. */
  readonly streams: Map<string, StreamProgress>;
  stop(): Promise<void>;
}

export async function startFakeWorker(bus: BusConnection, names: Names, artifacts: ArtifactStore): Promise<FakeWorker> {
  const consumerName = await ensureWorkerConsumer(bus.jsm, names, "openai", { ackWaitMs: 5_000 });
  const consumer = await bus.js.consumers.get(names.jobsStream, consumerName);
  const streams = new Map<string, StreamProgress>();
  const wakers = new Map<string, () => void>();
  const progressOf = (jobId: string): StreamProgress => {
    let progress = streams.get(jobId);
    if (!progress) {
      progress = { sent: 0, credit: 0, credits: [], cancel: undefined, stalled: false };
      streams.set(jobId, progress);
    }
    return progress;
  };
  const lastToken = (subject: string): string => subject.slice(subject.lastIndexOf(".") + 1);
  const flow = bus.nc.subscribe(names.flowSubject("*"), {
    callback: (_error, msg) => {
      const jobId = lastToken(msg.subject);
      const progress = progressOf(jobId);
      progress.credit = Math.max(progress.credit, FlowCredit.parse(decodeJson(msg.data)).seq);
      progress.credits.push(progress.credit);
      wakers.get(jobId)?.();
    },
  });
  const cancels = bus.nc.subscribe(names.cancelSubject("*"), {
    callback: (_error, msg) => {
      const jobId = lastToken(msg.subject);
      progressOf(jobId).cancel = CancelRequest.parse(decodeJson(msg.data));
      wakers.get(jobId)?.();
    },
  });
  await bus.nc.flush();

  let stopping = false;
  /**
   * Resolves when `ready()` holds, re-checked on every credit or cancel for the job; false when
   * the job's deadline passed first (the real worker gives up then) or the worker stops.
   */
  const until = (job: JobSubmitted, ready: () => boolean): Promise<boolean> =>
    new Promise((resolve) => {
      if (ready()) return resolve(true);
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        wakers.delete(job.id);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), Math.max(0, job.deadlineAt - Date.now()));
      wakers.set(job.id, () => {
        if (stopping) finish(false);
        else if (ready()) finish(true);
      });
    });

  const worker: FakeWorker = {
    jobs: [],
    streams,
    react: (job) => ({ completed: chatCompletion(job.model, `echo ${job.id}`) }),
    ackAfterAnswer: false,
    stop: async () => {
      stopping = true;
      for (const wake of [...wakers.values()]) wake();
      await loop.stop();
      flow.unsubscribe();
      cancels.unsubscribe();
    },
  };

  async function playStream(
    job: JobSubmitted,
    script: StreamScript,
  ): Promise<{ end: "done" | "client_closed" | "deadline"; text: string; chunks: number }> {
    const progress = progressOf(job.id);
    const skip = new Set(script.skip ?? []);
    const finish = script.finishReason === undefined ? "stop" : script.finishReason;
    const chunks: Omit<TokenChunk, "seq">[] = script.deltas.map((delta) => ({ delta, finish_reason: null }));
    if (finish !== null) chunks.push({ delta: {}, finish_reason: finish });
    let seq = 0;
    let text = "";
    for (const [index, chunk] of chunks.entries()) {
      if (script.holdAfter === index && !(await until(job, () => progress.cancel !== undefined))) {
        return { end: "deadline", text, chunks: progress.sent };
      }
      if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
      do seq++;
      while (skip.has(seq));
      const next = seq;
      progress.stalled = next - progress.credit > FLOW_WINDOW;
      const ready = await until(job, () => next - progress.credit <= FLOW_WINDOW || progress.cancel !== undefined);
      progress.stalled = false;
      if (!ready) return { end: "deadline", text, chunks: progress.sent };
      if (progress.cancel) return { end: "client_closed", text, chunks: progress.sent };
      bus.nc.publish(names.tokenSubject(job.id), encodeJson({ seq: next, ...chunk }));
      progress.sent = next;
      text += typeof chunk.delta.content === "string" ? chunk.delta.content : "";
    }
    // Skipped numbers count: the worker says how many it sent, the ingress compares.
    return { end: "done", text, chunks: seq };
  }

  async function drawImages(job: JobSubmitted, script: ImageScript): Promise<ImagesResult> {
    const bytes = script.bytes ?? PNG_BYTES;
    const contentType = script.contentType ?? "image/png";
    const data = [];
    for (let i = 0; i < (script.count ?? Number(job.request["n"] ?? 1)); i++) {
      const name = script.artifactName?.(job, i) ?? `${job.id}/${i}.png`;
      await artifacts.put(name, bytes, contentType);
      data.push({
        artifact: name,
        contentType,
        bytes: bytes.length,
        ...(script.revisedPrompt === undefined ? {} : { revised_prompt: script.revisedPrompt }),
      });
    }
    return {
      created: 1719168000,
      data,
      size: "1024x1024",
      output_format: "png",
      quality: "high",
      usage: { input_tokens: 5, output_tokens: 10, total_tokens: 15 },
    };
  }

  const loop: ConsumeLoop = await startConsumeLoop(consumer, {
    concurrency: 16,
    ackWaitMs: 5_000,
    spanName: "fake worker",
    handle: async (msg) => {
      const job = JobSubmitted.parse(decodeJson(msg.data));
      worker.jobs.push(job);
      const ackAfterAnswer = worker.ackAfterAnswer;
      if (!ackAfterAnswer) msg.ack();
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
      // As the real worker's terminal events do, so keyed retries can compare their request.
      const hash = job.requestHash === undefined ? {} : { requestHash: job.requestHash };
      const base = {
        ...identity,
        ...TERMINAL_DEFAULTS,
        ...hash,
        at: Date.now(),
        attempts: 1,
        latencyMs: 1,
        usage: null,
      };
      let event: JobEvent;
      if ("stream" in reaction) {
        const { end, text, chunks } = await playStream(job, reaction.stream);
        const usage = reaction.stream.usage ?? chatUsage(3, 2);
        const fields = { ...base, at: Date.now(), route: "r1", usage, chunks };
        const { end: scripted } = reaction.stream;
        if (end === "deadline") {
          const error = { message: "The job's deadline passed.", type: "timeout_error", code: "timeout", param: null };
          event = { ...fields, type: "failed", error: { ...error, status: 504 }, streamEnd: "error" };
        } else if (end === "client_closed") {
          const reason = progressOf(job.id).cancel?.reason ?? "client_closed";
          event = { ...fields, type: "cancelled", reason, streamEnd: "client_closed" };
        } else if (scripted === "ignore") {
          return;
        } else if (scripted !== undefined && scripted !== "complete") {
          event = { ...fields, type: "failed", error: scripted.failed, streamEnd: "error" };
        } else {
          const content = reaction.stream.resultContent ?? text;
          event = { ...fields, type: "completed", result: chatCompletion(job.model, content), streamEnd: "done" };
        }
      } else if ("images" in reaction) {
        const result = await drawImages(job, reaction.images);
        const units = { images: result.data.length, videoSeconds: 0 };
        event = { ...base, type: "completed", route: "r1", result, units };
      } else if ("completed" in reaction) {
        event = { ...base, type: "completed", route: "r1", result: reaction.completed };
      } else {
        event = { ...base, type: "failed", route: "r1", error: reaction.failed };
      }
      await publishEvent(bus, names, event);
      if (ackAfterAnswer) msg.ack();
      const replyLost = "stream" in reaction && reaction.stream.reply === false;
      if (job.replyTo !== undefined && isTerminal(event) && !replyLost) replyTerminal(bus.nc, job.replyTo, event);
    },
  });
  return worker;
}

export async function publishEvent(bus: BusConnection, names: Names, event: JobEvent): Promise<void> {
  await publishJson(bus.js, names.eventSubject(event.jobId, event.type), event, { msgId: eventMessageId(event) });
}

export function chatUsage(prompt: number, completion: number): Usage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
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
    usage: chatUsage(3, 2),
    service_tier: "default",
    system_fingerprint: "fp_test",
  };
}

/** `["Hel", "lo"]` -> the deltas of a streamed answer. */
export function textDeltas(parts: readonly string[]): TokenChunk["delta"][] {
  return parts.map((content) => ({ content }));
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly bus: BusConnection;
  readonly names: Names;
  readonly worker: FakeWorker;
  readonly artifacts: ArtifactStore;
  /** Every publish on the namespace's job subjects, duplicates included (a core subscription sees them all). */
  readonly published: string[];
  /** Messages JOBS ever stored (deduplicated ones are not). */
  storedJobCount(): Promise<number>;
  /** Makes the app listen on a free loopback port (once) and returns its base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** A real NATS, a fresh namespace with both streams and the artifact store, the app and a fake worker. */
export async function createHarness(
  env: Record<string, string> = {},
  extra: Partial<Pick<IngressDeps, "clock" | "reportError">> = {},
  streams: { duplicateWindowMs?: number } = {},
): Promise<Harness> {
  const names = testNames();
  const bus = await connectBus({ servers: NATS_URL, name: "ingress-test" });
  const workerBus = await connectBus({ servers: NATS_URL, name: "ingress-test-worker" });
  const duplicateWindowMs = streams.duplicateWindowMs ?? 30_000;
  await ensureStreams(bus.jsm, names, { duplicateWindowMs, eventsMaxAgeMs: 600_000 });
  const artifacts = await openArtifactStore(bus.js, names);
  const worker = await startFakeWorker(workerBus, names, await openArtifactStore(workerBus.js, names));
  const published: string[] = [];
  const tap = bus.nc.subscribe(`${names.namespace}.jobs.>`, {
    callback: (_error, msg) => {
      published.push(String((decodeJson(msg.data) as { id?: unknown }).id));
    },
  });
  await bus.nc.flush();
  const app = createIngressApp({
    config: testConfig(names, env),
    bus,
    names,
    catalog: testCatalog(),
    artifacts,
    ...extra,
  });
  let baseUrl: string | undefined;
  return {
    app,
    bus,
    names,
    worker,
    artifacts,
    published,
    storedJobCount: async () => (await bus.jsm.streams.info(names.jobsStream)).state.last_seq,
    listen: async () => {
      if (baseUrl === undefined) {
        await app.listen({ host: "127.0.0.1", port: 0 });
        const address = app.server.address();
        baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
      }
      return baseUrl;
    },
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

/** Removes the namespace's streams, those behind its object store and KV buckets included. */
export async function deleteStreams(bus: BusConnection, names: Names): Promise<void> {
  await deleteNamespaceStreams(bus.jsm, names).catch(() => undefined);
}

export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }], ...extra };
}
