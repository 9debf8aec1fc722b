import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { context, propagation, trace, TraceFlags } from "@opentelemetry/api";
import {
  connectBus,
  decodeJson,
  deleteNamespaceStreams,
  ensureStreams,
  ensureWorkerConsumer,
  openArtifactStore,
  openStatusStore,
  openTaskStore,
  publishJson,
  startConsumeLoop,
  type BusConnection,
  type ConsumeLoop,
} from "@switchyard/bus";
import { parseCatalog } from "@switchyard/catalog";
import {
  JobEvent,
  createJobId,
  createNames,
  eventMessageId,
  randomId,
  type JobCompleted,
  type JobSubmitted,
  type Names,
} from "@switchyard/contracts";
import { createUpstreamAgent } from "@switchyard/providers";
import { startTelemetry, type Telemetry } from "@switchyard/telemetry";
import { systemClock } from "./clock.js";
import { chatCompletedEvent } from "./events.js";
import { createJobConsumer, type JobConsumerConfig } from "./job-consumer.js";
import { createProviderRegistry } from "./provider-registry.js";
import { startTestUpstream, type TestUpstream } from "./test-support/upstream.js";

// Against the real nats-server of the test run (NATS is never faked), with a fake upstream.
const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const FAMILY = "wtest";
const MAX_DELIVER = 3;
const config: JobConsumerConfig = {
  maxDeliver: MAX_DELIVER,
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
const CATALOG = `
routes:
  int-primary:
    dialect: openai
    base_url: \${UPSTREAM_URL}/v1
    upstream_model: int-upstream-model
    api_key_env: INT_KEY
    timeout_ms: 5000
    price: { input: 1, output: 1 }
models:
  int-model:
    kind: chat
    family: ${FAMILY}
    routes: [int-primary]
`;

let telemetry: Telemetry;
let upstream: TestUpstream;
let bus: BusConnection;
let names: Names;
let loop: ConsumeLoop;
const agent = createUpstreamAgent({ connections: 8 });
/** Deliveries of a job the test nacks before the consumer sees it: a crashed worker, a lost ack. */
const lostDeliveries = new Map<string, number>();
const jobTraceparents = new Map<string, string | undefined>();

beforeAll(async () => {
  // The SDK gives us the W3C propagator, async context and the undici instrumentation; spans
  // go nowhere (the trace test in test/ checks the exported ones).
  vi.stubEnv("OTEL_SDK_DISABLED", "false");
  vi.stubEnv("OTEL_TRACES_EXPORTER", "none");
  vi.stubEnv("OTEL_METRICS_EXPORTER", "none");
  vi.stubEnv("OTEL_LOGS_EXPORTER", "none");
  telemetry = startTelemetry({ serviceName: "provider-worker-int-test" });

  upstream = await startTestUpstream();
  bus = await connectBus({ servers: NATS_URL, name: "provider-worker-int-test" });
  names = createNames(`w${randomId(10).toLowerCase()}`);
  await ensureStreams(bus.jsm, names, { duplicateWindowMs: 60_000, eventsMaxAgeMs: 600_000 });
  const consumerName = await ensureWorkerConsumer(bus.jsm, names, FAMILY, {
    ackWaitMs: config.ackWaitMs,
    maxDeliver: MAX_DELIVER,
  });

  const catalog = parseCatalog(CATALOG, { UPSTREAM_URL: upstream.origin, INT_KEY: "sk-int" });
  const jobs = createJobConsumer({
    bus,
    names,
    catalog,
    providers: createProviderRegistry({ dispatcher: agent }),
    statusStore: await openStatusStore(bus, names),
    taskStore: await openTaskStore(bus.js, names),
    artifacts: await openArtifactStore(bus.js, names),
    clock: systemClock,
    config,
    workerId: "int-test-worker",
  });
  const consumer = await bus.js.consumers.get(names.jobsStream, consumerName);
  loop = await startConsumeLoop(consumer, {
    concurrency: 4,
    ackWaitMs: config.ackWaitMs,
    spanName: `process jobs.${FAMILY}`,
    handle: async (msg) => {
      let id = "";
      try {
        id = String((decodeJson(msg.data) as { id?: unknown }).id);
      } catch {
        // garbage: the consumer itself must deal with it
      }
      jobTraceparents.set(id, msg.headers?.get("traceparent"));
      if (msg.info.deliveryCount <= (lostDeliveries.get(id) ?? 0)) {
        msg.nak();
        return;
      }
      await jobs.handle(msg);
    },
  });
});

afterAll(async () => {
  await loop?.stop();
  if (bus) {
    await deleteNamespaceStreams(bus.jsm, names).catch(() => undefined);
    await bus.close();
  }
  await agent.close();
  await upstream?.close();
  await telemetry?.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
  vi.unstubAllEnvs();
});

function newJob(text: string, overrides: Partial<JobSubmitted> = {}): JobSubmitted {
  const now = Date.now();
  return {
    version: 1,
    id: createJobId(),
    kind: "chat",
    family: FAMILY,
    model: "int-model",
    tenant: "tenant-int",
    request: { model: "int-model", messages: [{ role: "user", content: `Return exactly: ${text}` }], temperature: 0.1 },
    createdAt: now,
    deadlineAt: now + 30_000,
    ...overrides,
  };
}

interface Submitted {
  job: JobSubmitted;
  traceId: string;
  events: JobEvent[];
  terminal(): Promise<JobEvent>;
}

/** Listens on the job's events (as the ingress does), then publishes it inside a fresh trace. */
async function submit(job: JobSubmitted): Promise<Submitted> {
  const events: JobEvent[] = [];
  const sub = bus.nc.subscribe(names.jobEventsFilter(job.id));
  void (async () => {
    for await (const m of sub) events.push(JobEvent.parse(decodeJson(m.data)));
  })();
  await bus.nc.flush();
  const traceId = randomBytes(16).toString("hex");
  const parent = trace.setSpanContext(context.active(), {
    traceId,
    spanId: randomBytes(8).toString("hex"),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  await context.with(parent, () => publishJson(bus.js, names.jobSubject(job.family, job.kind), job, { msgId: job.id }));
  return {
    job,
    traceId,
    events,
    terminal: async () => {
      const event = await waitFor(() => events.find((e) => e.type === "completed" || e.type === "failed"));
      sub.unsubscribe();
      return event;
    },
  };
}

/** The `completed` event an earlier delivery of `job` stored, answering `marker`. */
function earlierCompletion(job: JobSubmitted, marker: string): JobCompleted {
  return chatCompletedEvent(
    job,
    {
      route: "int-primary",
      attempts: 1,
      latencyMs: 5,
      completion: {
        id: "chatcmpl-earlier",
        object: "chat.completion",
        created: 1,
        model: "int-upstream-model",
        choices: [{ index: 0, message: { role: "assistant", content: marker }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
    },
    Date.now(),
  );
}

/** The first reply sent to the replies inbox of ingress instance `instance`. */
async function firstReply(instance: string): Promise<JobEvent | undefined> {
  for await (const m of bus.nc.subscribe(names.repliesFilter(instance), { max: 1 })) {
    return JobEvent.parse(decodeJson(m.data));
  }
  return undefined;
}

/** The terminal event waiting on WEBHOOKS for a job, or null. */
async function queuedWebhook(jobId: string): Promise<JobEvent | null> {
  const stored = await bus.jsm.streams.getMessage(names.webhooksStream, { last_by_subj: names.webhookSubject(jobId) });
  return stored ? JobEvent.parse(decodeJson(stored.data)) : null;
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The work queue is empty and nothing is pending an ack: every job message was acked (or termed). */
async function jobsAcked(): Promise<true> {
  return waitFor(async () => {
    const [stream, consumer] = await Promise.all([
      bus.jsm.streams.info(names.jobsStream),
      bus.jsm.consumers.info(names.jobsStream, names.familyConsumer(FAMILY)),
    ]);
    return stream.state.messages === 0 && consumer.num_ack_pending === 0 && consumer.num_pending === 0
      ? true
      : undefined;
  });
}

const traceIdOf = (traceparent: unknown): string | undefined =>
  typeof traceparent === "string" ? /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent)?.[1] : undefined;

describe("job consumer against NATS", () => {
  it("publishes started, attempt and completed, acks the job, and carries the trace to the upstream", async () => {
    const marker = `hello ${randomId(8)}`;
    const s = await submit(newJob(marker));
    const terminal = (await s.terminal()) as JobCompleted;
    await jobsAcked();

    expect(s.events.map((e) => e.type)).toEqual(["started", "attempt", "completed"]);
    expect(s.events[0]).toMatchObject({
      type: "started",
      delivery: 1,
      worker: "int-test-worker",
      jobId: s.job.id,
      tenant: "tenant-int",
    });
    expect(s.events[1]).toMatchObject({
      type: "attempt",
      attemptId: "d1.a1",
      route: "int-primary",
      upstreamModel: "int-upstream-model",
      outcome: "ok",
      httpStatus: 200,
      error: null,
    });
    expect(terminal).toMatchObject({ type: "completed", route: "int-primary", attempts: 1 });
    expect(terminal.result).toEqual({
      id: `chatcmpl-${s.job.id.slice("job_".length)}`,
      object: "chat.completion",
      created: Math.floor(s.job.createdAt / 1000),
      model: "int-model",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: marker, refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 9,
        completion_tokens: 3,
        total_tokens: 12,
        prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      system_fingerprint: "fp_test",
    });
    expect(terminal.usage).toEqual(terminal.result.usage);

    const [call] = upstream.callsFor(marker);
    expect(call?.headers.authorization).toBe("Bearer sk-int");
    expect(call?.body).toMatchObject({ model: "int-upstream-model", stream: false, temperature: 0.1 });
    const jobTraceId = traceIdOf(jobTraceparents.get(s.job.id));
    expect(jobTraceId).toBe(s.traceId);
    expect(traceIdOf(call?.headers.traceparent)).toBe(jobTraceId);
  });

  it("reports a job that outlives the started hold as started while its upstream call is still running", async () => {
    const marker = `slow ${randomId(8)}`;
    const release = upstream.hold(marker);
    const s = await submit(newJob(marker));
    await waitFor(() => upstream.callsFor(marker).length === 1);
    const started = await waitFor(() => s.events.find((e) => e.type === "started"));
    expect(started).toMatchObject({ delivery: 1, worker: "int-test-worker" });
    expect(s.events.map((e) => e.type)).toEqual(["started"]);
    release();
    await s.terminal();
    await jobsAcked();
    expect(s.events.map((e) => e.type)).toEqual(["started", "attempt", "completed"]);
  });

  it("retries a 500 and completes: two attempt events, one completed", async () => {
    const marker = `flaky ${randomId(8)}`;
    upstream.failFirst(marker, 500);
    const s = await submit(newJob(marker));
    const terminal = await s.terminal();
    await jobsAcked();

    const attempts = s.events.filter((e) => e.type === "attempt");
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({
      attemptId: "d1.a1",
      outcome: "error",
      httpStatus: 500,
      error: { status: 502, code: "upstream_unavailable" },
    });
    expect(attempts[0]?.type === "attempt" && attempts[0].retryInMs).toBeGreaterThanOrEqual(0);
    expect(attempts[1]).toMatchObject({ attemptId: "d1.a2", outcome: "ok", httpStatus: 200 });
    expect(s.events.filter((e) => e.type === "completed")).toHaveLength(1);
    expect(terminal).toMatchObject({ type: "completed", attempts: 2 });
    expect(upstream.callsFor(marker)).toHaveLength(2);
  });

  it("acks a redelivered job whose terminal event already exists, without calling the upstream", async () => {
    const marker = `done already ${randomId(8)}`;
    const job = newJob(marker);
    // An earlier delivery finished the job, but its ack never reached JetStream.
    const earlier = earlierCompletion(job, marker);
    await publishJson(bus.js, names.eventSubject(job.id, "completed"), earlier, { msgId: eventMessageId(earlier) });
    lostDeliveries.set(job.id, 1);
    const s = await submit(job);
    await jobsAcked();
    await bus.nc.flush();

    expect(upstream.callsFor(marker)).toHaveLength(0);
    expect(s.events).toEqual([]);
  });

  it("tells the job's waiting ingress (replyTo) the outcome, only once it is stored in EVENTS", async () => {
    const job = newJob(`reply ${randomId(8)}`);
    job.replyTo = names.replySubject("int-ingress", job.id);
    const replies = bus.nc.subscribe(names.repliesFilter("int-ingress"), { max: 1 });
    const storedWhenReplied = (async () => {
      for await (const m of replies) {
        const stored = await bus.jsm.streams.getMessage(names.eventsStream, {
          last_by_subj: names.eventSubject(job.id, "completed"),
        });
        return { subject: m.subject, event: JobEvent.parse(decodeJson(m.data)), stored: stored !== null };
      }
      return undefined;
    })();
    await bus.nc.flush();
    const s = await submit(job);
    const terminal = await s.terminal();
    const reply = await storedWhenReplied;

    expect(reply?.subject).toBe(`${job.replyTo}.completed`);
    expect(reply?.event).toEqual(terminal);
    expect(reply?.stored).toBe(true);
  });

  it("acks a keyed job published again after the duplicate window, when it finished already, without calling the upstream", async () => {
    const marker = `keyed ${randomId(8)}`;
    // A retry with the same Idempotency-Key names the same job id; past JetStream's duplicate
    // window its publish is a new message, delivered for the first time.
    const job = newJob(marker, { idempotencyKey: `key-${randomId(8)}` });
    job.replyTo = names.replySubject("int-keyed", job.id);
    const earlier = earlierCompletion(job, marker);
    await publishJson(bus.js, names.eventSubject(job.id, "completed"), earlier, { msgId: eventMessageId(earlier) });
    const replied = firstReply("int-keyed");
    await bus.nc.flush();
    await submit(job);
    await jobsAcked();

    expect(upstream.callsFor(marker)).toHaveLength(0);
    expect(await replied).toEqual(JobEvent.parse(earlier));
  });

  it("replies with the stored outcome when JetStream kept an earlier terminal event of the job", async () => {
    const marker = `raced ${randomId(8)}`;
    const job = newJob(marker);
    job.replyTo = names.replySubject("int-raced", job.id);
    // Another delivery of the same job stored its outcome while this one was calling the upstream.
    const earlier = earlierCompletion(job, "the other delivery's answer");
    await publishJson(bus.js, names.eventSubject(job.id, "completed"), earlier, { msgId: eventMessageId(earlier) });
    const replied = firstReply("int-raced");
    await bus.nc.flush();
    await submit(job);
    await jobsAcked();

    expect(upstream.callsFor(marker)).toHaveLength(1);
    expect(await replied).toEqual(JobEvent.parse(earlier));
  });

  it("queues a webhook job's terminal event on WEBHOOKS, and nothing for a job without one", async () => {
    const withHook = newJob(`hooked ${randomId(8)}`, { webhook: { url: "https://hooks.example.com/done" } });
    const without = newJob(`plain ${randomId(8)}`);
    const [hooked, plain] = await Promise.all([submit(withHook), submit(without)]);
    await Promise.all([hooked.terminal(), plain.terminal()]);
    await jobsAcked();

    const queued = await queuedWebhook(withHook.id);
    expect(queued).toMatchObject({
      type: "completed",
      jobId: withHook.id,
      webhook: { url: "https://hooks.example.com/done" },
    });
    expect(await queuedWebhook(without.id)).toBeNull();
  });

  it("queues the webhook of a redelivered job whose worker stored the terminal event and died before queueing it", async () => {
    const marker = `hook lost ${randomId(8)}`;
    const job = newJob(marker, { webhook: { url: "https://hooks.example.com/lost" } });
    const earlier = earlierCompletion(job, marker);
    // Only the EVENTS half of the terminal publish landed.
    await publishJson(bus.js, names.eventSubject(job.id, "completed"), earlier, { msgId: eventMessageId(earlier) });
    expect(await queuedWebhook(job.id)).toBeNull();
    lostDeliveries.set(job.id, 1);
    await submit(job);
    await jobsAcked();

    expect(upstream.callsFor(marker)).toHaveLength(0);
    expect(await queuedWebhook(job.id)).toMatchObject({ type: "completed", jobId: job.id });
  });

  it("records a failure on the last delivery instead of dropping the job", async () => {
    const marker = `doomed ${randomId(8)}`;
    const job = newJob(marker);
    lostDeliveries.set(job.id, MAX_DELIVER - 1);
    const s = await submit(job);
    const terminal = await s.terminal();
    await jobsAcked();

    expect(terminal).toMatchObject({
      type: "failed",
      attempts: 0,
      route: null,
      error: { code: "max_deliveries_exceeded", status: 502 },
    });
    expect(s.events.map((e) => e.type)).toEqual(["failed"]);
    expect(upstream.callsFor(marker)).toHaveLength(0);
  });

  it("fails a job past its deadline with a 504 without calling the upstream", async () => {
    const marker = `late ${randomId(8)}`;
    const s = await submit(newJob(marker, { deadlineAt: Date.now() - 1 }));
    expect(await s.terminal()).toMatchObject({ type: "failed", error: { code: "timeout", status: 504 } });
    await jobsAcked();
    expect(upstream.callsFor(marker)).toHaveLength(0);
  });

  it("fails at once, keeping the status and the upstream's message, when the upstream rejects the request", async () => {
    const marker = `rejected ${randomId(8)}`;
    upstream.failFirst(marker, 400);
    const s = await submit(newJob(marker));
    expect(await s.terminal()).toMatchObject({
      type: "failed",
      attempts: 1,
      route: "int-primary",
      error: { code: "upstream_rejected", status: 400, message: "scripted failure", type: "invalid_request_error" },
    });
    await jobsAcked();
    expect(upstream.callsFor(marker)).toHaveLength(1);
  });

  it("terminates a message that is not a job", async () => {
    await bus.js.publish(names.jobSubject(FAMILY, "chat"), new TextEncoder().encode("not json"));
    await jobsAcked();
  });
});
