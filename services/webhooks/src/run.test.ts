import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectBus,
  decodeJson,
  deleteNamespaceStreams,
  encodeJson,
  openStatusStore,
  publishTerminal,
  type BusConnection,
} from "@switchyard/bus";
import {
  createNames,
  randomId,
  WebhookAttempted,
  type JobRecord,
  type Names,
  type TerminalEvent,
  type WebhookEvent,
} from "@switchyard/contracts";
import { loadConfig } from "./config.js";
import { silentLogger } from "./logger.js";
import { run, type RunningWebhooks } from "./run.js";
import { verifyWebhook } from "./signing.js";

// The dispatcher in process, as main.ts starts it, against the NATS of the global test setup,
// on streams of its own, delivering to a receiver on this machine.
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const ACME = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver: `/ok` answers 200, `/flaky-<n>` 500 twice (Retry-After: 1) then 200, `/down` 503. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const path = req.url ?? "";
      received.push({ path, headers: req.headers, body });
      if (path.startsWith("/flaky") && received.filter((r) => r.path === path).length <= 2) {
        res.writeHead(500, { "retry-after": "1" }).end("not yet");
      } else if (path.startsWith("/down")) res.writeHead(503).end();
      else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Stack {
  names: Names;
  dispatcher: RunningWebhooks;
  /** Every `webhook` event published on the stack's EVENTS stream. */
  attempts: WebhookAttempted[];
  publish(event: TerminalEvent): Promise<void>;
}

let bus: BusConnection;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const stacks: Stack[] = [];
const subscriptions: Array<{ unsubscribe(): void }> = [];

async function startStack(env: Record<string, string>): Promise<Stack> {
  const names = createNames(`w${randomId(10).toLowerCase()}`);
  const attempts: WebhookAttempted[] = [];
  const subscription = bus.nc.subscribe(names.eventTypeFilter("webhook"), {
    callback: (_error, msg) => {
      attempts.push(WebhookAttempted.parse(decodeJson(msg.data)));
    },
  });
  const config = loadConfig({ NATS_URL: natsUrl, SWITCHYARD_NAMESPACE: names.namespace, ...env });
  const dispatcher = await run(config, { logger: silentLogger });
  const stack: Stack = {
    names,
    dispatcher,
    attempts,
    publish: async (event) => {
      await publishTerminal(bus.js, names, event);
    },
  };
  stacks.push(stack);
  await bus.nc.flush();
  subscriptions.push(subscription);
  return stack;
}

beforeAll(async () => {
  bus = await connectBus({ servers: natsUrl, name: "webhooks-test" });
  receiver = await startReceiver();
});
afterAll(async () => {
  for (const subscription of subscriptions) subscription.unsubscribe();
  for (const { dispatcher, names } of stacks) {
    await dispatcher.close();
    await deleteNamespaceStreams(bus.jsm, names).catch(() => undefined);
  }
  await receiver?.close();
  await bus?.close();
});

function terminal(type: "completed" | "failed" | "cancelled", jobId: string, url: string | null, tenant = "acme") {
  const base = {
    version: 1 as const,
    jobId,
    tenant,
    kind: "chat" as const,
    family: "openai",
    model: "gpt-4o-mini",
    createdAt: T0,
    at: T0 + 1_500,
    route: "sim-gpt-4o-mini",
    attempts: 1,
    latencyMs: 1_400,
    usage: null,
    streamEnd: null,
    webhook: url === null ? null : { url },
    units: null,
  };
  switch (type) {
    case "completed":
      return { ...base, type, result: { object: "chat.completion", id: "chatcmpl-1" } };
    case "failed":
      return {
        ...base,
        type,
        error: {
          message: "upstream unavailable",
          type: "server_error",
          code: "upstream_unavailable",
          param: null,
          status: 502,
        },
      };
    case "cancelled":
      return { ...base, type, reason: "client" as const };
  }
}

async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const requestsTo = (path: string) => receiver.received.filter((r) => r.path === path);
const attemptsOf = (stack: Stack, jobId: string) =>
  stack.attempts.filter((a) => a.jobId === jobId).sort((a, b) => a.attempt - b.attempt);

/** Waits until the dispatcher's consumer holds no unacked or undelivered message. */
async function settled(stack: Stack): Promise<void> {
  await eventually(async () => {
    const info = await bus.jsm.consumers.info(stack.names.webhooksStream, stack.names.webhooksConsumer);
    return info.num_ack_pending + info.num_pending > 0 ? undefined : true;
  });
}

describe("webhook dispatcher", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      SWITCHYARD_WEBHOOK_SECRETS: `acme=${ACME}`,
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_MAX_ATTEMPTS: "3",
      WEBHOOK_BACKOFF_BASE_MS: "50",
      WEBHOOK_BACKOFF_MAX_MS: "1500",
      WEBHOOK_TIMEOUT_MS: "2000",
    });
  });

  it("delivers a terminal event's webhook once, signed, with the job's status record as data", async () => {
    const jobId = `job_${randomId(16)}`;
    const record: JobRecord = {
      version: 1,
      id: jobId,
      tenant: "acme",
      kind: "chat",
      family: "openai",
      model: "gpt-4o-mini",
      status: "completed",
      progress: 100,
      createdAt: T0,
      startedAt: T0 + 200,
      finishedAt: T0 + 1_500,
      request: {},
      metadata: { order: "42" },
      webhook: { url: `${receiver.url}/ok` },
      error: null,
      result: { object: "chat.completion", id: "chatcmpl-1" },
      usage: null,
      jobsSeq: 1,
      upstreamTaskId: null,
    };
    await (await openStatusStore(bus, stack.names)).put(record);
    const skipped = `job_${randomId(16)}`;
    await stack.publish(terminal("completed", skipped, null));
    await stack.publish(terminal("completed", jobId, `${receiver.url}/ok`));

    const [request] = await eventually(() => (requestsTo("/ok").length > 0 ? requestsTo("/ok") : undefined));
    const id = `evt_${jobId.slice(4)}`;
    expect(request!.headers).toMatchObject({ "content-type": "application/json", "webhook-id": id });
    expect(() => verifyWebhook(ACME, request!.headers, request!.body)).not.toThrow();
    const event = JSON.parse(request!.body) as WebhookEvent;
    expect(event).toEqual({
      id,
      object: "event",
      type: "job.completed",
      created_at: T0 / 1000 + 1, // unix seconds, rounded down
      data: {
        id: jobId,
        object: "job",
        type: "chat.completion",
        model: "gpt-4o-mini",
        status: "completed",
        progress: 100,
        created_at: T0 / 1000,
        started_at: T0 / 1000,
        completed_at: T0 / 1000 + 1,
        queue_position: null,
        error: null,
        result: { object: "chat.completion", id: "chatcmpl-1" },
        metadata: { order: "42" },
      },
    });
    const [attempt] = await eventually(() =>
      attemptsOf(stack, jobId).length > 0 ? attemptsOf(stack, jobId) : undefined,
    );
    expect(attempt).toMatchObject({
      type: "webhook",
      jobId,
      tenant: "acme",
      createdAt: T0,
      webhookId: id,
      attempt: 1,
      url: `${receiver.url}/ok`,
      eventType: "job.completed",
      httpStatus: 200,
      outcome: "delivered",
      error: null,
      retryInMs: null,
    });
    await settled(stack);
    expect(requestsTo("/ok")).toHaveLength(1);
    expect(attemptsOf(stack, jobId)).toHaveLength(1);
    expect(attemptsOf(stack, skipped)).toEqual([]);
  });

  it("delivers failed and cancelled events too, rendered from the event when the job has no record", async () => {
    const failedJob = `job_${randomId(16)}`;
    const cancelledJob = `job_${randomId(16)}`;
    await stack.publish(terminal("failed", failedJob, `${receiver.url}/ok-failed`));
    await stack.publish(terminal("cancelled", cancelledJob, `${receiver.url}/ok-cancelled`));
    const failed = await eventually(() => requestsTo("/ok-failed")[0]);
    const cancelled = await eventually(() => requestsTo("/ok-cancelled")[0]);
    expect(JSON.parse(failed.body)).toMatchObject({
      type: "job.failed",
      data: { id: failedJob, status: "failed", error: { code: "upstream_unavailable" }, metadata: null },
    });
    expect(JSON.parse(cancelled.body)).toMatchObject({
      type: "job.cancelled",
      data: { id: cancelledJob, status: "cancelled", result: null },
    });
    expect(() => verifyWebhook(ACME, cancelled.headers, cancelled.body)).not.toThrow();
    await eventually(() => (attemptsOf(stack, cancelledJob)[0]?.outcome === "delivered" ? true : undefined));
  });

  it("retries a failing receiver with the same webhook-id and a new timestamp each time, one webhook event per attempt", async () => {
    const jobId = `job_${randomId(16)}`;
    const path = `/flaky-${jobId}`;
    await stack.publish(terminal("completed", jobId, `${receiver.url}${path}`));
    const attempts = await eventually(() =>
      attemptsOf(stack, jobId).length === 3 ? attemptsOf(stack, jobId) : undefined,
    );
    const requests = requestsTo(path);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([`evt_${jobId.slice(4)}`]));
    const timestamps = requests.map((r) => Number(r.headers["webhook-timestamp"]));
    expect(new Set(timestamps).size).toBe(3); // Retry-After: 1 puts each attempt in a later second
    for (const request of requests) expect(() => verifyWebhook(ACME, request.headers, request.body)).not.toThrow();
    // The receiver's Retry-After (1 s) is within WEBHOOK_BACKOFF_MAX_MS, so it sets the delay.
    expect(attempts.map((a) => [a.attempt, a.outcome, a.httpStatus, a.retryInMs])).toEqual([
      [1, "failed", 500, 1_000],
      [2, "failed", 500, 1_000],
      [3, "delivered", 200, null],
    ]);
    expect(attempts[0]!.error).toBe("the receiver answered HTTP 500");
    await settled(stack);
    expect(requestsTo(path)).toHaveLength(3);
  });

  it("does not deliver again a webhook queued again after its last attempt, nor number an attempt twice", async () => {
    // A keyed job submitted again, or a job redelivered after its worker died, queues its
    // webhook again; past JetStream's 2-minute duplicate window the copy is stored as a new
    // message, which is what publishing it without a message id does here.
    const requeue = (event: TerminalEvent) =>
      bus.js.publish(stack.names.webhookSubject(event.jobId), encodeJson(event));
    const deliveredJob = `job_${randomId(16)}`;
    const delivered = terminal("completed", deliveredJob, `${receiver.url}/ok-${deliveredJob}`);
    await stack.publish(delivered);
    await eventually(() => (attemptsOf(stack, deliveredJob)[0]?.outcome === "delivered" ? true : undefined));
    await settled(stack);
    const gaveUpJob = `job_${randomId(16)}`;
    const gaveUp = terminal("failed", gaveUpJob, `${receiver.url}/down-${gaveUpJob}`);
    await stack.publish(gaveUp);
    await eventually(() => (attemptsOf(stack, gaveUpJob)[2]?.outcome === "gave_up" ? true : undefined));
    await settled(stack);

    // A webhook whose attempts went on in a copy that never settled: the new copy's count is 1.
    const resumedJob = `job_${randomId(16)}`;
    const resumed = terminal("completed", resumedJob, `${receiver.url}/ok-${resumedJob}`);
    const { version, jobId, tenant, kind, family, model, createdAt } = resumed;
    const earlier: WebhookAttempted = {
      ...{ version, jobId, tenant, kind, family, model, createdAt },
      type: "webhook",
      at: T0 + 2_000,
      webhookId: `evt_${resumedJob.slice(4)}`,
      attempt: 2,
      url: resumed.webhook!.url,
      eventType: "job.completed",
      httpStatus: 503,
      outcome: "failed",
      error: "the receiver answered HTTP 503",
      latencyMs: 3,
      retryInMs: 50,
    };
    await bus.js.publish(stack.names.eventSubject(resumedJob, "webhook"), encodeJson(earlier));

    await requeue(delivered);
    await requeue(gaveUp);
    await requeue(resumed);
    await settled(stack);
    expect(requestsTo(`/ok-${deliveredJob}`)).toHaveLength(1);
    expect(requestsTo(`/down-${gaveUpJob}`)).toHaveLength(3);
    expect(requestsTo(`/ok-${resumedJob}`)).toHaveLength(1);
    // The ledger keys attempts by (job, webhook-id, attempt): a second "attempt 1" would be lost.
    expect(attemptsOf(stack, deliveredJob).map((a) => [a.attempt, a.outcome])).toEqual([[1, "delivered"]]);
    expect(attemptsOf(stack, gaveUpJob).map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attemptsOf(stack, resumedJob).map((a) => [a.attempt, a.outcome])).toEqual([
      [2, "failed"],
      [3, "delivered"],
    ]);
  });

  it("gives up after the maximum number of attempts", async () => {
    const jobId = `job_${randomId(16)}`;
    const path = `/down-${jobId}`;
    await stack.publish(terminal("failed", jobId, `${receiver.url}${path}`));
    const attempts = await eventually(() =>
      attemptsOf(stack, jobId).length === 3 ? attemptsOf(stack, jobId) : undefined,
    );
    expect(attempts.map((a) => [a.attempt, a.outcome, a.httpStatus, a.retryInMs === null])).toEqual([
      [1, "failed", 503, false],
      [2, "failed", 503, false],
      [3, "gave_up", 503, true],
    ]);
    // Backoff from WEBHOOK_BACKOFF_BASE_MS (50 ms), doubling, half of it jittered.
    expect(attempts[0]!.retryInMs).toBeGreaterThanOrEqual(25);
    expect(attempts[0]!.retryInMs).toBeLessThan(50);
    expect(attempts[1]!.retryInMs).toBeGreaterThanOrEqual(50);
    expect(attempts[1]!.retryInMs).toBeLessThan(100);
    await settled(stack);
    expect(requestsTo(path)).toHaveLength(3);
  });
});

describe("webhook dispatcher without private destinations, in production", () => {
  it("refuses a private URL and a tenant without a secret at the first attempt, and records why", async () => {
    const stack = await startStack({ SWITCHYARD_ENV: "production", SWITCHYARD_WEBHOOK_SECRETS: `acme=${ACME}` });
    const privateJob = `job_${randomId(16)}`;
    const unsignedJob = `job_${randomId(16)}`;
    await stack.publish(terminal("completed", privateJob, `${receiver.url}/private-${privateJob}`));
    await stack.publish(terminal("completed", unsignedJob, "https://hooks.example.com/x", "globex"));
    const [refused] = await eventually(() =>
      attemptsOf(stack, privateJob).length ? attemptsOf(stack, privateJob) : undefined,
    );
    expect(refused).toMatchObject({
      attempt: 1,
      outcome: "gave_up",
      httpStatus: null,
      error: "the webhook destination 127.0.0.1 is not a public address",
      retryInMs: null,
    });
    const [unsigned] = await eventually(() =>
      attemptsOf(stack, unsignedJob).length ? attemptsOf(stack, unsignedJob) : undefined,
    );
    expect(unsigned).toMatchObject({
      attempt: 1,
      outcome: "gave_up",
      tenant: "globex",
      error: "no webhook signing secret is configured for tenant globex",
    });
    await settled(stack);
    expect(requestsTo(`/private-${privateJob}`)).toHaveLength(0);
    expect(attemptsOf(stack, privateJob)).toHaveLength(1);
  });
});
