import { describe, expect, it, onTestFinished } from "vitest";
import { connectBus, decodeJson, ensureWorkerConsumer, publishJson } from "@switchyard/bus";
import {
  eventMessageId,
  JobStarted,
  UpstreamUnavailableError,
  type AttemptRecorded,
  type JobEvent,
  type JobSubmitted,
} from "@switchyard/contracts";
import { systemClock } from "./clock.js";
import { deliveryOf } from "./delivery.js";
import { chatCompletedEvent, startedEvent } from "./events.js";
import { ok, scriptedProviders } from "./test-support/fakes.js";
import { NATS_URL, openHarness, waitFor, type Harness } from "./test-support/harness.js";

// nats-server before 2.10.14 (Debian's 2.9.10 here) may count the redelivery that follows a
// worker's crash as a first delivery (see delivery.ts). On a server without that bug these
// tests pass all the same: the count is then right to begin with.

const ACK_WAIT_MS = 1000;

async function harness(): Promise<Harness> {
  const h = await openHarness();
  onTestFinished(() => h.close());
  return h;
}

/** Never answers; ends when the call's signal does. */
const hang = (options: { signal: AbortSignal }) =>
  new Promise<never>((_, reject) => {
    options.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
  });

/**
 * Takes the family's next job on a connection of its own and closes that connection without
 * acking it: a worker killed holding the job.
 */
async function takeAndCrash(h: Harness, family: string): Promise<void> {
  const doomed = await connectBus({ servers: NATS_URL, name: "provider-worker-doomed" });
  const consumer = await doomed.js.consumers.get(h.names.jobsStream, h.names.familyConsumer(family));
  const messages = await consumer.consume({ max_messages: 4 });
  for await (const _ of messages) break;
  await doomed.nc.close();
}

/** The last event of `type` JetStream stored for the job, decoded. */
async function storedEvent(h: Harness, jobId: string, type: JobEvent["type"]): Promise<unknown> {
  const stored = await h.bus.jsm.streams.getMessage(h.names.eventsStream, {
    last_by_subj: h.names.eventSubject(jobId, type),
  });
  return stored ? decodeJson(stored.data) : null;
}

/** Past the ack wait, when nats-server 2.9 gives the job back with its count taken down again. */
const pastAckWait = () => new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS + 1000));

describe("delivery numbers against NATS", () => {
  it("numbers the redelivery after a crash past the last stored delivery, so its attempts keep their own ids", async () => {
    const h = await harness();
    const family = "wredeliver";
    // A high max_deliver: nats-server 2.9 also counts its tries at the dead worker's pull requests.
    const config = { ackWaitMs: ACK_WAIT_MS, backoffBaseMs: 1, backoffMaxMs: 5, maxDeliver: 20 };
    const doomedBus = await connectBus({ servers: NATS_URL, name: "provider-worker-doomed" });
    onTestFinished(() => doomedBus.close().catch(() => undefined));
    // The first delivery records a failed attempt (a 502), then its retry never answers.
    const first = scriptedProviders({ "chat-a": [new UpstreamUnavailableError("bad gateway"), hang] });
    const doomed = await h.startWorker({ providers: first, family, config, bus: doomedBus });
    const job = h.newJob({ family });
    const s = await h.submit(job);
    await waitFor(() => storedEvent(h, job.id, "attempt"));
    await doomedBus.nc.close();
    await pastAckWait();

    // One job at a time: nats-server 2.9 may hand the job out twice, the second time as a first delivery.
    const survivor = scriptedProviders({ "chat-a": [ok("second time")] });
    await h.startWorker({ providers: survivor, family, config, concurrency: 1 });
    const terminal = await s.terminal();
    await h.jobsAcked(family);
    await Promise.allSettled([...doomed.running]);

    expect(terminal).toMatchObject({ type: "completed", attempts: 1 });
    expect(survivor.calls).toHaveLength(1);
    const attemptIds = s
      .events()
      .filter((e): e is AttemptRecorded => e.type === "attempt")
      .map((a) => a.attemptId);
    expect(attemptIds[0]).toBe("d1.a1");
    expect(new Set(attemptIds).size).toBe(attemptIds.length);
    // What JetStream stored, not only what was sent: a reused id would have been dropped.
    const stored = await storedEvent(h, job.id, "attempt");
    expect(stored).toMatchObject({ attemptId: attemptIds.at(-1) });
    expect(attemptIds.at(-1)).not.toBe("d1.a1");
    expect(JobStarted.parse(await storedEvent(h, job.id, "started")).delivery).toBeGreaterThan(1);
  });

  it("acks without calling the upstream a job redelivered after a crash between its stored outcome and its ack", async () => {
    const h = await harness();
    const family = "wfinished";
    const job: JobSubmitted = h.newJob({ family });
    await ensureWorkerConsumer(h.bus.jsm, h.names, family, { ackWaitMs: ACK_WAIT_MS, maxDeliver: 5 });
    await h.submit(job);
    await takeAndCrash(h, family);
    // What the crashed delivery had stored before it died: its start and the job's outcome.
    const at = Date.now();
    const started = startedEvent(job, 1, "crashed-worker", at);
    await publishJson(h.bus.js, h.names.eventSubject(job.id, "started"), started, {
      msgId: eventMessageId(started),
    });
    const completion = ok("first time").completion;
    const completed = chatCompletedEvent(job, { route: "chat-a", attempts: 1, latencyMs: 5, completion }, at);
    await publishJson(h.bus.js, h.names.eventSubject(job.id, "completed"), completed, {
      msgId: eventMessageId(completed),
    });
    await pastAckWait();

    const providers = scriptedProviders({ "chat-a": [ok("second time")] });
    await h.startWorker({ providers, family, config: { ackWaitMs: ACK_WAIT_MS } });
    await h.jobsAcked(family);

    expect(providers.calls).toEqual([]);
  });
});

describe("deliveryOf against NATS", () => {
  const ackWaitMs = 30_000;
  /** What a `started` event of an earlier delivery left in EVENTS, and the deps to read it. */
  async function withStarted(delivery: number | null) {
    const h = await harness();
    const job = h.newJob();
    if (delivery !== null) {
      const started = startedEvent(job, delivery, "earlier-worker", Date.now());
      await publishJson(h.bus.js, h.names.eventSubject(job.id, "started"), started, {
        msgId: eventMessageId(started),
      });
    }
    const deps = {
      jsm: h.bus.jsm,
      names: h.names,
      clock: systemClock,
      patiently: <T>(_: string, op: () => Promise<T>) => op(),
      ackWaitMs,
    };
    return { job, deps };
  }
  const storedAgo = (ms: number) => (Date.now() - ms) * 1e6;

  it("trusts a count above 1", async () => {
    const { job, deps } = await withStarted(5);
    expect(await deliveryOf({ deliveryCount: 3, timestampNanos: storedAgo(60_000) }, job.id, deps)).toEqual({
      number: 3,
      maybeRunBefore: true,
    });
  });

  it("takes a young job's count of 1 as its first delivery, without a lookup", async () => {
    const { job, deps } = await withStarted(1);
    expect(await deliveryOf({ deliveryCount: 1, timestampNanos: storedAgo(1_000) }, job.id, deps)).toEqual({
      number: 1,
      maybeRunBefore: false,
    });
  });

  it("numbers an old job counted 1 past its last stored started event", async () => {
    const { job, deps } = await withStarted(2);
    expect(await deliveryOf({ deliveryCount: 1, timestampNanos: storedAgo(ackWaitMs) }, job.id, deps)).toEqual({
      number: 3,
      maybeRunBefore: true,
    });
  });

  it("runs an old job without a stored started event as a first delivery", async () => {
    const { job, deps } = await withStarted(null);
    expect(await deliveryOf({ deliveryCount: 1, timestampNanos: storedAgo(ackWaitMs) }, job.id, deps)).toEqual({
      number: 1,
      maybeRunBefore: false,
    });
  });
});
