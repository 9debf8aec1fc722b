import { describe, expect, it, onTestFinished } from "vitest";
import { publishJson } from "@switchyard/bus";
import { eventMessageId, type JobCancelled, type JobCompleted } from "@switchyard/contracts";
import type { ChatResult } from "@switchyard/providers";
import { cancelledEvent } from "./events.js";
import { fakeProviders, ok } from "./test-support/fakes.js";
import { openHarness, waitFor, type Harness } from "./test-support/harness.js";

async function harness(): Promise<Harness> {
  const h = await openHarness();
  onTestFinished(() => h.close());
  return h;
}

/** A harness whose worker's one route answers at once, noting each call. */
async function workerCountingCalls(): Promise<{ h: Harness; calls: string[] }> {
  const h = await harness();
  const calls: string[] = [];
  await h.startWorker({
    providers: fakeProviders({
      "chat-a": {
        chat: async () => {
          calls.push("chat-a");
          return ok();
        },
      },
    }),
  });
  return { h, calls };
}

describe("tracked jobs against NATS", () => {
  it("keeps the status record current: in progress, then completed with the result and usage", async () => {
    const h = await harness();
    const seen: string[] = [];
    const job = h.newJob({ tracked: true, metadata: { order: "42" }, webhook: { url: "https://hooks.test/x" } });
    await h.startWorker({
      providers: fakeProviders({
        "chat-a": {
          chat: async () => {
            const record = await h.statusStore.get(job.tenant, job.id);
            seen.push(`${record?.record.status}:${record?.record.startedAt !== null}`);
            return ok("tracked answer");
          },
        },
      }),
    });
    await h.createRecord(job);
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobCompleted;
    await h.jobsAcked();

    expect(seen).toEqual(["in_progress:true"]);
    expect(terminal.webhook).toEqual({ url: "https://hooks.test/x" });
    const record = (await h.statusStore.get(job.tenant, job.id))?.record;
    expect(record).toMatchObject({
      status: "completed",
      progress: 100,
      result: terminal.result,
      usage: terminal.usage,
      error: null,
      finishedAt: terminal.at,
      metadata: { order: "42" },
    });
  });

  it("reports a job cancelled while queued as cancelled, without calling the upstream", async () => {
    const { h, calls } = await workerCountingCalls();
    const job = h.newJob({ tracked: true });
    await h.createRecord(job, { status: "cancelled", finishedAt: Date.now() });
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobCancelled;
    await h.jobsAcked();

    expect(terminal).toMatchObject({ type: "cancelled", reason: "client", attempts: 0, route: null, usage: null });
    expect(s.events().map((e) => e.type)).toEqual(["cancelled"]);
    expect(calls).toEqual([]);
    expect((await h.statusStore.get(job.tenant, job.id))?.record.status).toBe("cancelled");
  });

  it("does not run a tracked job whose record is gone, nor send its webhook (its client was told 503)", async () => {
    const { h, calls } = await workerCountingCalls();
    const job = h.newJob({ tracked: true, webhook: { url: "https://hooks.test/gone" } });
    await h.createRecord(job, { status: "cancelled", finishedAt: Date.now() });
    await h.statusStore.remove(job.tenant, job.id);
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobCancelled;
    await h.jobsAcked();

    expect(terminal).toMatchObject({ type: "cancelled", reason: "client", attempts: 0, usage: null, webhook: null });
    expect(calls).toEqual([]);
    expect(await h.statusStore.get(job.tenant, job.id)).toBeNull();
    const queued = await h.bus.jsm.streams.getMessage(h.names.webhooksStream, {
      last_by_subj: h.names.webhookSubject(job.id),
    });
    expect(queued).toBeNull();
  });

  it("gives a keyed job's fresh record the outcome stored before, without calling the upstream", async () => {
    const { h, calls } = await workerCountingCalls();
    // A queued video was cancelled and deleted; a retry with its Idempotency-Key, past the
    // duplicate window, created a new `queued` record and published the job again.
    const job = h.newJob({ tracked: true, idempotencyKey: "order-11" });
    const earlier = cancelledEvent(job, { route: null, attempts: 0, latencyMs: 3, reason: "client" }, Date.now());
    await publishJson(h.bus.publisher, h.names.eventSubject(job.id, "cancelled"), earlier, {
      msgId: eventMessageId(earlier),
    });
    await h.createRecord(job);
    await h.submit(job);
    await h.jobsAcked();

    expect(calls).toEqual([]);
    expect((await h.statusStore.get(job.tenant, job.id))?.record).toMatchObject({
      status: "cancelled",
      finishedAt: earlier.at,
    });
  });

  it("aborts the upstream call on a cancel request and reports cancelled", async () => {
    const h = await harness();
    let aborted = false;
    let started = false;
    await h.startWorker({
      providers: fakeProviders({
        "chat-a": {
          chat: (_request, { signal }) =>
            new Promise<ChatResult>((_resolve, reject) => {
              started = true;
              signal.addEventListener("abort", () => {
                aborted = true;
                reject(new Error("aborted"));
              });
            }),
        },
      }),
    });
    const job = h.newJob({ tracked: true });
    await h.createRecord(job);
    const s = await h.submit(job);
    await waitFor(() => started);
    await h.statusStore.modify(job.tenant, job.id, (r) => ({ ...r, status: "cancelled", finishedAt: Date.now() }));
    s.cancel("client");
    const terminal = await s.terminal();
    await h.jobsAcked();

    expect(aborted).toBe(true);
    expect(terminal).toMatchObject({ type: "cancelled", reason: "client", route: "chat-a", attempts: 1 });
    expect(s.events().filter((e) => e.type === "attempt")).toHaveLength(1);
  });

  it("lets a cancel recorded first win over a late answer, keeping the usage the upstream charged", async () => {
    const h = await harness();
    const job = h.newJob({ tracked: true });
    await h.startWorker({
      providers: fakeProviders({
        "chat-a": {
          chat: async () => {
            // The client cancels while the answer is on its way; the cancel request itself is lost.
            await h.statusStore.modify(job.tenant, job.id, (r) => ({
              ...r,
              status: "cancelled",
              finishedAt: Date.now(),
            }));
            return ok("too late");
          },
        },
      }),
    });
    await h.createRecord(job);
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobCancelled;
    await h.jobsAcked();

    expect(terminal).toMatchObject({
      type: "cancelled",
      reason: "client",
      route: "chat-a",
      attempts: 1,
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    expect(s.events().filter((e) => e.type === "completed")).toEqual([]);
    const record = (await h.statusStore.get(job.tenant, job.id))?.record;
    expect(record).toMatchObject({ status: "cancelled", result: null, usage: { prompt_tokens: 3 } });
  });
});
