import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusStore } from "@switchyard/bus";
import type { JobObject } from "@switchyard/contracts";
import { waitUntil } from "../test-support/private-nats.js";
import { chatCompletion } from "../test-support/harness.js";
import { AUTH_A, KEY_A, KEY_B, createTrackedHarness, type TrackedHarness } from "../test-support/tracked-harness.js";

let h: TrackedHarness;
/** Watches the app opened and stopped, counted through a wrapper around the real store. */
const watches = { opened: 0, stopped: 0 };

beforeAll(async () => {
  h = await createTrackedHarness();
});
afterAll(async () => {
  await h?.close();
});

function countingStore(store: StatusStore): StatusStore {
  return {
    ...store,
    watch: async (tenant, jobId) => {
      const watch = await store.watch(tenant, jobId);
      watches.opened++;
      const stop = watch.stop.bind(watch);
      return Object.assign(watch, {
        stop: () => {
          watches.stopped++;
          stop();
        },
      });
    },
  };
}

function frames(body: string): JobObject[] {
  return body
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => JSON.parse(block.slice(6)) as JobObject);
}

async function submitChat(): Promise<JobObject> {
  const res = await h.app.inject({
    method: "POST",
    url: "/v1/jobs",
    headers: AUTH_A,
    payload: { type: "chat.completion", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] } },
  });
  expect(res.statusCode).toBe(202);
  return res.json<JobObject>();
}

async function takeJob(id: string) {
  for (;;) {
    const job = await h.worker.take("openai");
    if (job.id === id) return job;
  }
}

describe("GET /v1/jobs/{id}/events", () => {
  it("streams every status and progress change and closes after the terminal one", async () => {
    const app = h.createApp({}, { statusStore: countingStore(h.statusStore) });
    const submitted = await submitChat();
    const opened = watches.opened;
    const streaming = app.inject({ method: "GET", url: `/v1/jobs/${submitted.id}/events`, headers: AUTH_A });
    await waitUntil(() => watches.opened > opened);

    const job = await takeJob(submitted.id);
    await h.worker.start(job);
    await h.worker.progress(job, 30);
    await h.worker.progress(job, 30);
    await h.worker.progress(job, 70);
    const completion = chatCompletion("gpt-4o-mini", "hi");
    await h.worker.complete(job, completion);

    const res = await streaming;
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(res.headers["x-request-id"]).toEqual(expect.any(String));
    const seen = frames(res.body);
    // Each distinct state once, in order; a write that changed neither status nor progress sends nothing.
    expect(seen.map((f) => [f.status, f.progress])).toEqual([
      ["queued", 0],
      ["in_progress", 0],
      ["in_progress", 30],
      ["in_progress", 70],
      ["completed", 100],
    ]);
    expect(seen.at(-1)).toMatchObject({ id: submitted.id, object: "job", result: completion });
    await waitUntil(() => watches.stopped >= watches.opened);
  });

  it("sends one frame and closes at once for a job that has already ended", async () => {
    const submitted = await submitChat();
    await h.app.inject({ method: "POST", url: `/v1/jobs/${submitted.id}/cancel`, headers: AUTH_A });
    const res = await h.app.inject({ method: "GET", url: `/v1/jobs/${submitted.id}/events`, headers: AUTH_A });
    expect(res.statusCode).toBe(200);
    expect(frames(res.body)).toEqual([expect.objectContaining({ id: submitted.id, status: "cancelled" })]);
  });

  it("stops watching when the client disconnects", async () => {
    const app = h.createApp({}, { statusStore: countingStore(h.statusStore) });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const submitted = await submitChat();
    const before = { ...watches };

    const firstFrame = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path: `/v1/jobs/${submitted.id}/events`,
          headers: { authorization: `Bearer ${KEY_A}` },
        },
        (res) => {
          res.setEncoding("utf8");
          res.once("data", (chunk: string) => {
            resolve(chunk);
            req.destroy();
          });
        },
      );
      req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
      req.end();
    });
    expect(frames(firstFrame)[0]).toMatchObject({ id: submitted.id, status: "queued" });
    expect(watches.opened).toBe(before.opened + 1);
    await waitUntil(() => watches.stopped > before.stopped);
  });

  it("is a JSON 404 for unknown ids and for another tenant's job", async () => {
    const submitted = await submitChat();
    const other = await h.app.inject({
      method: "GET",
      url: `/v1/jobs/${submitted.id}/events`,
      headers: { authorization: `Bearer ${KEY_B}` },
    });
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe("not_found");
    const missing = await h.app.inject({ method: "GET", url: "/v1/jobs/job_00000000nothing/events", headers: AUTH_A });
    expect(missing.statusCode).toBe(404);
  });

  it("ends open streams when the server closes", async () => {
    const app = h.createApp();
    const submitted = await submitChat();
    const streaming = app.inject({ method: "GET", url: `/v1/jobs/${submitted.id}/events`, headers: AUTH_A });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await app.close();
    const res = await streaming;
    expect(frames(res.body)[0]).toMatchObject({ status: "queued" });
  });
});
