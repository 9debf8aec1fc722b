import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus, publishJson, type BusConnection } from "@switchyard/bus";
import {
  NATS_URL,
  TERMINAL_DEFAULTS,
  chatBody,
  chatCompletion,
  createHarness,
  publishEvent,
  type Harness,
} from "../test-support/harness.js";
import { waitUntil } from "../test-support/private-nats.js";
import { createJobId, type JobSubmitted } from "@switchyard/contracts";
import { systemClock } from "../deps.js";
import { openOutcomeInbox } from "./outcome-inbox.js";
import { runJobSync } from "./run-sync.js";

let h: Harness;
let bus: BusConnection;
beforeAll(async () => {
  h = await createHarness();
  h.worker.react = () => "ignore";
  bus = await connectBus({ servers: NATS_URL, name: "ingress-test-abort" });
});
afterAll(async () => {
  await bus.close();
  await h.close();
});

/** A chat job of tenant-a as the ingress would publish it, due `ttlMs` after `now`. */
function chatJob(id: string, now: number, ttlMs: number): JobSubmitted {
  return {
    version: 1,
    id,
    kind: "chat",
    family: "openai",
    model: "gpt-4o-mini",
    tenant: "tenant-a",
    request: chatBody(),
    createdAt: now,
    deadlineAt: now + ttlMs,
  };
}

/** Stores the job's `completed` event in EVENTS, as a worker would. */
function publishCompleted(id: string, now: number, result: Record<string, unknown>): Promise<void> {
  return publishEvent(h.bus, h.names, {
    version: 1,
    type: "completed",
    jobId: id,
    tenant: "tenant-a",
    kind: "chat",
    family: "openai",
    model: "gpt-4o-mini",
    createdAt: now,
    at: Date.now(),
    route: "r1",
    attempts: 1,
    latencyMs: 1,
    result,
    usage: null,
    ...TERMINAL_DEFAULTS,
  });
}

/** Subscriptions the client holds; a test-only look inside nats.js, to prove nothing leaks. */
function subscriptionCount(b: BusConnection): number {
  return (b.nc as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size();
}

describe("a client that goes away", () => {
  it("ends the wait and forgets the job, which stays published; no subscription of its own is opened", async () => {
    const inbox = openOutcomeInbox(bus.nc, h.names);
    const ctx = { bus, names: h.names, clock: systemClock, inbox };
    const baseline = subscriptionCount(bus);
    const id = createJobId();
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    const waiting = runJobSync(ctx, chatJob(id, Date.now(), 10_000), response);

    await waitUntil(() => h.worker.jobs.some((j) => j.id === id));
    expect(h.worker.jobs.find((j) => j.id === id)?.replyTo).toBe(inbox.replyTo(id));
    expect(inbox.waiting()).toBe(1);
    expect(subscriptionCount(bus)).toBe(baseline);
    response.emit("close");
    expect(await waiting).toBe("aborted");
    expect(inbox.waiting()).toBe(0);
    inbox.close();
  });
});

describe("a publish JetStream reports as a duplicate", () => {
  it("looks in EVENTS again, because the first request's job may have ended before we subscribed", async () => {
    const id = createJobId();
    const now = Date.now();
    const job = chatJob(id, now, 5_000);
    // An earlier request published this job and it completed; this one carries no key, so only
    // the duplicate ack can lead it to the stored outcome.
    await publishJson(h.bus.js, h.names.jobSubject("openai", "chat"), job, { msgId: id });
    const result = chatCompletion("gpt-4o-mini", "stored");
    await publishCompleted(id, now, result);
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    const inbox = openOutcomeInbox(h.bus.nc, h.names);
    const ctx = { bus: h.bus, names: h.names, clock: systemClock, inbox };
    const started = Date.now();
    const outcome = await runJobSync(ctx, job, response);
    expect(outcome).toMatchObject({ type: "completed", jobId: id, result });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("the deadline", () => {
  it("answers from EVENTS when the terminal event was stored but never reached the subscription", async () => {
    const id = createJobId();
    const now = Date.now();
    const job = chatJob(id, now, 1_000);
    // A connection whose subscriptions hear nothing, as while it re-subscribes after a NATS
    // restart: only the stream knows the job finished.
    const deaf = Object.create(h.bus.nc, {
      subscribe: { value: (_subject: string, opts: object) => h.bus.nc.subscribe(`deaf.${id}`, opts) },
    }) as BusConnection["nc"];
    const inbox = openOutcomeInbox(deaf, h.names);
    const ctx = { bus: { ...h.bus, nc: deaf }, names: h.names, clock: systemClock, inbox };
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    const waiting = runJobSync(ctx, job, response);
    await waitUntil(() => h.worker.jobs.some((j) => j.id === id));
    const result = chatCompletion("gpt-4o-mini", "missed");
    await publishCompleted(id, now, result);
    expect(await waiting).toMatchObject({ type: "completed", jobId: id, result });
  });
});
