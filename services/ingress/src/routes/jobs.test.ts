import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJson } from "@switchyard/bus";
import { JobCancelled, JobSubmitted, type JobObject } from "@switchyard/contracts";
import { waitUntil } from "../test-support/private-nats.js";
import { chatCompletion, testCatalog } from "../test-support/harness.js";
import { idempotentJobId } from "../jobs/idempotency.js";
import { buildJob, publishJob } from "../jobs/submit.js";
import {
  AUTH_A,
  KEY_B,
  createTrackedHarness,
  ensureFamilyConsumers,
  type TrackedHarness,
} from "../test-support/tracked-harness.js";

const AUTH_B = { authorization: `Bearer ${KEY_B}` };

let h: TrackedHarness;

beforeAll(async () => {
  h = await createTrackedHarness();
  await ensureFamilyConsumers(h.bus, h.names, ["openai", "images", "video"]);
});
afterAll(async () => {
  await h?.close();
});

function chatJob(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "chat.completion",
    body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] },
    ...extra,
  };
}

async function submit(payload: Record<string, unknown>, headers: Record<string, string> = AUTH_A): Promise<JobObject> {
  const res = await h.app.inject({ method: "POST", url: "/v1/jobs", headers, payload });
  expect(res.statusCode, res.body).toBe(202);
  return res.json<JobObject>();
}

async function getJob(id: string): Promise<JobObject> {
  const res = await h.app.inject({ method: "GET", url: `/v1/jobs/${id}`, headers: AUTH_A });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<JobObject>();
}

/** Takes the given job off its family's queue, skipping any other job ahead of it (they stay unfinished). */
async function takeJob(family: string, id: string): Promise<JobSubmitted> {
  for (;;) {
    const job = await h.worker.take(family);
    if (job.id === id) return job;
  }
}

describe("POST /v1/jobs", () => {
  it("answers 202 with the queued job only once JetStream has stored it", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: AUTH_A,
      payload: chatJob({ metadata: { order: "42" }, webhook: { url: "https://hooks.example.com/in" } }),
    });
    expect(res.statusCode).toBe(202);
    const job = res.json<JobObject>();
    expect(job).toMatchObject({
      object: "job",
      type: "chat.completion",
      model: "gpt-4o-mini",
      status: "queued",
      progress: 0,
      started_at: null,
      completed_at: null,
      error: null,
      result: null,
      metadata: { order: "42" },
    });
    expect(job.id).toMatch(/^job_/);
    expect(res.headers["x-request-id"]).toBe(job.id);
    expect(Math.abs(job.created_at - Date.now() / 1000)).toBeLessThan(5);

    const stored = await h.statusStore.get("tenant-a", job.id);
    expect(stored?.record).toMatchObject({ status: "queued", progress: 0, jobsSeq: expect.any(Number) });
    const msg = await h.bus.jsm.streams.getMessage(h.names.jobsStream, { seq: stored!.record.jobsSeq! });
    const published = JobSubmitted.parse(decodeJson(msg!.data));
    expect(msg!.subject).toBe(h.names.jobSubject("openai", "chat"));
    expect(published).toMatchObject({
      id: job.id,
      tracked: true,
      tenant: "tenant-a",
      metadata: { order: "42" },
      webhook: { url: "https://hooks.example.com/in" },
    });
    expect(published.deadlineAt - published.createdAt).toBe(24 * 3600_000);
  });

  it("validates the body against its type's schema, naming the field", async () => {
    const cases: [Record<string, unknown>, number, string | null][] = [
      [{ type: "audio.speech", body: {} }, 400, "type"],
      [chatJob({ body: { model: "gpt-4o-mini" } }), 400, "body.messages"],
      [
        chatJob({ body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], stream: true } }),
        400,
        "body.stream",
      ],
      [chatJob({ body: { model: "nope", messages: [{ role: "user", content: "x" }] } }), 404, "body.model"],
      [chatJob({ body: { model: "gpt-image-1", messages: [{ role: "user", content: "x" }] } }), 400, "body.model"],
      [{ type: "image.generation", body: { prompt: "" } }, 400, "body.prompt"],
      [{ type: "video.generation", body: { prompt: "x", size: "1x1" } }, 400, "body.size"],
      [{ type: "video.generation", body: { prompt: "x", input_reference: "other/file" } }, 400, "body.input_reference"],
      [chatJob({ metadata: { k: 5 } }), 400, "metadata.k"],
      [chatJob({ extra: 1 }), 400, null],
    ];
    for (const [payload, status, param] of cases) {
      const res = await h.app.inject({ method: "POST", url: "/v1/jobs", headers: AUTH_A, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().error.param, JSON.stringify(payload)).toBe(param);
    }
  });

  it("413s a job too large for NATS (over its max_payload, under the HTTP limit), keeping no record", async () => {
    const content = "x".repeat(h.bus.nc.info!.max_payload);
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: AUTH_A,
      payload: chatJob({ body: { model: "gpt-4o-mini", messages: [{ role: "user", content }] } }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "request_too_large" });
    const record = await h.app.inject({
      method: "GET",
      url: `/v1/jobs/${String(res.headers["x-request-id"])}`,
      headers: AUTH_A,
    });
    expect(record.statusCode).toBe(404);
  });

  it("refuses webhooks to private networks unless WEBHOOK_ALLOW_PRIVATE is set", async () => {
    for (const url of [
      "http://127.0.0.1:9000/hook",
      "http://[::ffff:10.0.0.1]/",
      "http://intranet.example.com/",
      "http://localhost/",
    ]) {
      const res = await h.app.inject({
        method: "POST",
        url: "/v1/jobs",
        headers: AUTH_A,
        payload: chatJob({ webhook: { url } }),
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toMatchObject({ type: "invalid_request_error", param: "webhook.url" });
    }
    const ftp = await h.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: AUTH_A,
      payload: chatJob({ webhook: { url: "ftp://hooks.example.com/" } }),
    });
    expect(ftp.json().error.param).toBe("webhook.url");

    const permissive = h.createApp({ WEBHOOK_ALLOW_PRIVATE: "true" });
    const res = await permissive.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: AUTH_A,
      payload: chatJob({ webhook: { url: "http://127.0.0.1:9000/hook" } }),
    });
    expect(res.statusCode).toBe(202);
  });

  it("makes one job of an Idempotency-Key and answers retries with it", async () => {
    const headers = { ...AUTH_A, "idempotency-key": "order-7" };
    const first = await submit(chatJob(), headers);
    const before = (await h.bus.jsm.streams.info(h.names.jobsStream)).state.last_seq;
    const again = await submit(chatJob(), headers);
    expect(again.id).toBe(first.id);
    expect((await h.bus.jsm.streams.info(h.names.jobsStream)).state.last_seq).toBe(before);
    // Another tenant's identical key is another job.
    const other = await submit(chatJob(), { ...AUTH_B, "idempotency-key": "order-7" });
    expect(other.id).not.toBe(first.id);
  });

  it("refuses with a 422 a key reused with another body, type, webhook or metadata", async () => {
    const headers = { ...AUTH_A, "idempotency-key": `reuse-${Date.now()}` };
    const first = await submit(chatJob({ metadata: { order: "1" } }), headers);
    const body = { messages: [{ role: "user", content: "Hi" }], model: "gpt-4o-mini" }; // the same, reordered
    expect((await submit({ metadata: { order: "1" }, body, type: "chat.completion" }, headers)).id).toBe(first.id);
    const others = [
      chatJob({ metadata: { order: "2" } }),
      chatJob(),
      chatJob({
        metadata: { order: "1" },
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] },
      }),
      chatJob({ metadata: { order: "1" }, webhook: { url: "https://hooks.example.com/in" } }),
      { type: "image.generation", body: { prompt: "a fox" }, metadata: { order: "1" } },
    ];
    for (const payload of others) {
      const res = await h.app.inject({ method: "POST", url: "/v1/jobs", headers, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(res.json().error.code).toBe("idempotency_key_reused");
      expect(res.headers["x-request-id"]).toBe(first.id);
    }
    expect((await getJob(first.id)).metadata).toEqual({ order: "1" });
  });

  it("refuses with a 422, keeping no record, a key whose synchronous job is still queued", async () => {
    const key = `sync-${Date.now()}`;
    const id = idempotentJobId("tenant-a", key);
    // What POST /v1/chat/completions publishes for this key: its job has no status record.
    const sync = buildJob({
      id,
      kind: "chat",
      model: testCatalog().getModel("gpt-4o-mini")!,
      tenant: "tenant-a",
      request: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] },
      now: Date.now(),
      timeoutMs: 60_000,
      idempotencyKey: key,
    });
    await publishJob(h.bus, h.names, sync);
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: { ...AUTH_A, "idempotency-key": key },
      payload: chatJob(),
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error).toMatchObject({ code: "idempotency_key_reused" });
    expect(res.json().error.message).toContain("a synchronous request");
    expect(await h.statusStore.get("tenant-a", id)).toBeNull();
    await takeJob("openai", id);
  });

  it("answers 503 and leaves no record when the job cannot be published", async () => {
    const broken = h.createApp({}, { names: { ...h.names, jobSubject: () => `${h.names.namespace}-nowhere.jobs` } });
    const res = await broken.inject({ method: "POST", url: "/v1/jobs", headers: AUTH_A, payload: chatJob() });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("service_unavailable");
    const id = String(res.headers["x-request-id"]);
    expect(id).toMatch(/^job_/);
    expect(await h.statusStore.get("tenant-a", id)).toBeNull();
  });
});

describe("GET /v1/jobs/{id}", () => {
  it("reports queue positions within the job's family", async () => {
    // Drain what earlier tests left in the chat queue, so positions start at 0.
    const leftovers = (await h.bus.jsm.consumers.info(h.names.jobsStream, h.names.familyConsumer("openai")))
      .num_pending;
    for (let i = 0; i < leftovers; i++) await h.worker.take("openai");

    const a = await submit(chatJob());
    const b = await submit(chatJob());
    const c = await submit(chatJob());
    // Another family's job is behind all three in JOBS, but first in its own queue.
    const image = await submit({ type: "image.generation", body: { prompt: "a fox" } });
    expect((await getJob(a.id)).queue_position).toBe(0);
    expect((await getJob(b.id)).queue_position).toBe(1);
    expect((await getJob(c.id)).queue_position).toBe(2);
    expect((await getJob(image.id)).queue_position).toBe(0);
    expect(a.queue_position).toBe(0);

    const job = await takeJob("openai", a.id);
    await h.worker.start(job);
    const running = await getJob(a.id);
    expect(running).toMatchObject({ status: "in_progress", queue_position: null });
    expect(running.started_at).toEqual(expect.any(Number));
    expect((await getJob(b.id)).queue_position).toBe(0);
    expect((await getJob(c.id)).queue_position).toBe(1);
  });

  it("shows the result once completed: the chat completion", async () => {
    const submitted = await submit(chatJob());
    const job = await takeJob("openai", submitted.id);
    await h.worker.start(job);
    await h.worker.progress(job, 40);
    expect(await getJob(submitted.id)).toMatchObject({ status: "in_progress", progress: 40, result: null });
    const completion = chatCompletion("gpt-4o-mini", "hello");
    await h.worker.complete(job, completion);
    const done = await getJob(submitted.id);
    expect(done).toMatchObject({ status: "completed", progress: 100, result: completion, queue_position: null });
    expect(done.completed_at).toEqual(expect.any(Number));
  });

  it("renders images as b64_json from the artifact store", async () => {
    const submitted = await submit({ type: "image.generation", body: { prompt: "a fox", n: 1 } });
    expect(submitted.model).toBe("gpt-image-1");
    const job = await takeJob("images", submitted.id);
    const png = Buffer.from("89504e470d0a1a0a-fake-png");
    const info = await h.artifacts.put(`${job.id}/0.png`, png, "image/png");
    await h.worker.complete(job, {
      created: 1719168000,
      data: [{ artifact: info.name, contentType: "image/png", bytes: info.bytes, revised_prompt: "a red fox" }],
      size: "1024x1024",
    });
    const done = await getJob(submitted.id);
    expect(done.result).toEqual({
      created: 1719168000,
      data: [{ b64_json: png.toString("base64"), revised_prompt: "a red fox" }],
      size: "1024x1024",
    });
  });

  it("renders images as fresh signed links when the request asked for url", async () => {
    const submitted = await submit({ type: "image.generation", body: { prompt: "a fox", response_format: "url" } });
    const job = await takeJob("images", submitted.id);
    const info = await h.artifacts.put(`${job.id}/0.png`, Buffer.from("png"), "image/png");
    await h.worker.complete(job, {
      created: 1719168000,
      data: [{ artifact: info.name, contentType: "image/png", bytes: 3 }],
    });
    const { result } = await getJob(submitted.id);
    const url = new URL((result as { data: { url: string }[] }).data[0]!.url);
    expect(url.pathname).toBe(`/v1/images/files/${job.id}/0.png`);
    expect(url.searchParams.get("signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("renders a video job's result as the video object, and failures as the error", async () => {
    const video = await submit({ type: "video.generation", body: { prompt: "waves", seconds: "8" } });
    const job = await takeJob("video", video.id);
    expect(job.request).toMatchObject({ prompt: "waves", seconds: "8", size: "720x1280", model: "sora-2" });
    await h.worker.completeVideo(job, new Uint8Array([1, 2, 3]));
    expect((await getJob(video.id)).result).toMatchObject({
      id: video.id,
      object: "video",
      status: "completed",
      seconds: "8",
    });

    const failing = await submit(chatJob());
    const failed = await takeJob("openai", failing.id);
    await h.worker.fail(failed, {
      message: "upstream said no",
      type: "invalid_request_error",
      code: "bad",
      param: null,
      status: 400,
    });
    expect(await getJob(failing.id)).toMatchObject({
      status: "failed",
      error: { message: "upstream said no", type: "invalid_request_error", code: "bad", param: null },
      result: null,
    });
  });

  it("is 404 for another tenant's job and for ids that are not job ids", async () => {
    const job = await submit(chatJob());
    const res = await h.app.inject({ method: "GET", url: `/v1/jobs/${job.id}`, headers: AUTH_B });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "not_found" });
    for (const id of ["nope", "job_a.b*c", "job_" + "x".repeat(80)]) {
      const bad = await h.app.inject({ method: "GET", url: `/v1/jobs/${encodeURIComponent(id)}`, headers: AUTH_A });
      expect(bad.statusCode, id).toBe(404);
    }
  });
});

describe("POST /v1/jobs/{id}/cancel", () => {
  it("cancels a queued job: record, cancel request and the cancelled event at once", async () => {
    const job = await submit(chatJob());
    const requests: unknown[] = [];
    const sub = h.bus.nc.subscribe(h.names.cancelSubject(job.id), {
      callback: (_e, msg) => void requests.push(decodeJson(msg.data)),
    });
    await h.bus.nc.flush();

    const res = await h.app.inject({ method: "POST", url: `/v1/jobs/${job.id}/cancel`, headers: AUTH_A });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: job.id, status: "cancelled", queue_position: null });
    expect((await h.statusStore.get("tenant-a", job.id))?.record.status).toBe("cancelled");
    await waitUntil(() => requests.length === 1);
    expect(requests[0]).toEqual({ reason: "client" });

    const stored = await h.bus.jsm.streams.getMessage(h.names.eventsStream, {
      last_by_subj: h.names.eventSubject(job.id, "cancelled"),
    });
    const event = JobCancelled.parse(decodeJson(stored!.data));
    expect(event).toMatchObject({ jobId: job.id, tenant: "tenant-a", reason: "client", attempts: 0, route: null });

    // A cancelled job has ended: cancelling it again is a 409, and publishes nothing more.
    const again = await h.app.inject({ method: "POST", url: `/v1/jobs/${job.id}/cancel`, headers: AUTH_A });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("job_not_cancellable");
    const info = await h.bus.jsm.streams.info(h.names.eventsStream, {
      subjects_filter: h.names.eventSubject(job.id, "cancelled"),
    });
    expect(info.state.subjects?.[h.names.eventSubject(job.id, "cancelled")]).toBe(1);
    sub.unsubscribe();
  });

  it("cancels a running job by asking its worker, without publishing the event itself", async () => {
    const submitted = await submit(chatJob());
    const job = await takeJob("openai", submitted.id);
    await h.worker.start(job);
    const requests: unknown[] = [];
    const sub = h.bus.nc.subscribe(h.names.cancelSubject(job.id), {
      callback: (_e, msg) => void requests.push(decodeJson(msg.data)),
    });
    await h.bus.nc.flush();

    const res = await h.app.inject({ method: "POST", url: `/v1/jobs/${job.id}/cancel`, headers: AUTH_A });
    expect(res.json()).toMatchObject({ status: "cancelled" });
    await waitUntil(() => requests.length === 1);
    const event = await h.bus.jsm.streams
      .getMessage(h.names.eventsStream, { last_by_subj: h.names.eventSubject(job.id, "cancelled") })
      .catch(() => null);
    expect(event).toBeNull();
    sub.unsubscribe();
  });

  it("takes an empty JSON body, as clients send on a body-less POST, and still parses JSON strictly", async () => {
    const job = await submit(chatJob());
    const json = { ...AUTH_A, "content-type": "application/json" };
    const res = await h.app.inject({ method: "POST", url: `/v1/jobs/${job.id}/cancel`, headers: json, payload: "" });
    expect(res.statusCode, res.body).toBe(200);
    const empty = await h.app.inject({ method: "POST", url: "/v1/jobs", headers: json, payload: "" });
    expect(empty.statusCode).toBe(400);
    const broken = await h.app.inject({ method: "POST", url: "/v1/jobs", headers: json, payload: "{nope" });
    expect(broken.json().error.code).toBe("invalid_json");
    const poisoned = await h.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: json,
      payload: '{"__proto__":{"x":1}}',
    });
    expect(poisoned.statusCode).toBe(400);
  });

  it("refuses finished jobs with 409 and unknown ones with 404", async () => {
    const submitted = await submit(chatJob());
    const job = await takeJob("openai", submitted.id);
    await h.worker.complete(job, chatCompletion("gpt-4o-mini", "done"));
    const res = await h.app.inject({ method: "POST", url: `/v1/jobs/${job.id}/cancel`, headers: AUTH_A });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "job_not_cancellable" });
    expect((await h.statusStore.get("tenant-a", job.id))?.record.status).toBe("completed");

    const other = await h.app.inject({ method: "POST", url: `/v1/jobs/${job.id}/cancel`, headers: AUTH_B });
    expect(other.statusCode).toBe(404);
  });
});

describe("GET /v1/jobs", () => {
  it("lists the tenant's jobs newest first with cursor pagination", async () => {
    const h2 = await createTrackedHarness();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await h2.app.inject({ method: "POST", url: "/v1/jobs", headers: AUTH_A, payload: chatJob() });
        ids.push(res.json<JobObject>().id);
      }
      await h2.app.inject({ method: "POST", url: "/v1/jobs", headers: AUTH_B, payload: chatJob() });
      const newest = [...ids].reverse();

      const page = async (query: string) => {
        const res = await h2.app.inject({ method: "GET", url: `/v1/jobs${query}`, headers: AUTH_A });
        expect(res.statusCode, res.body).toBe(200);
        return res.json<{ object: string; data: JobObject[]; first_id: string; last_id: string; has_more: boolean }>();
      };
      const p1 = await page("?limit=2");
      expect(p1).toMatchObject({ object: "list", has_more: true, first_id: newest[0], last_id: newest[1] });
      expect(p1.data.map((j) => j.id)).toEqual(newest.slice(0, 2));
      expect(p1.data[0]).toMatchObject({ object: "job", status: "queued" });
      const p2 = await page(`?limit=2&after=${p1.last_id}`);
      expect(p2.data.map((j) => j.id)).toEqual(newest.slice(2, 4));
      const p3 = await page(`?limit=2&after=${p2.last_id}`);
      expect(p3).toMatchObject({ has_more: false, data: [{ id: newest[4] }] });
      expect((await page("")).data).toHaveLength(5);

      for (const [query, param] of [
        ["?limit=0", "limit"],
        ["?limit=101", "limit"],
        ["?limit=x", "limit"],
        ["?after=nope", "after"],
      ] as const) {
        const res = await h2.app.inject({ method: "GET", url: `/v1/jobs${query}`, headers: AUTH_A });
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.param).toBe(param);
      }
      const empty = await h2.app.inject({
        method: "GET",
        url: "/v1/jobs",
        headers: { authorization: "Bearer sk-nobody" },
      });
      expect(empty.statusCode).toBe(401);
    } finally {
      await h2.close();
    }
  });
});
