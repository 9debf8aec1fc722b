import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "../app.js";
import { find, readBoxes } from "../test-support/mp4-boxes.js";
import { readPng } from "../test-support/png-chunks.js";

// A fake clock: tasks age only when a test says so.
let now: number;
let app: FastifyInstance;
beforeEach(() => {
  now = 1_700_000_000_000;
  app = createSimApp({ videoMs: 3000, now: () => now });
});
afterEach(async () => {
  await app.close();
});

const create = (payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: "/v1/videos", payload, headers });
const retrieve = (id: string, headers: Record<string, string> = {}) =>
  app.inject({ method: "GET", url: `/v1/videos/${id}`, headers });
const content = (id: string, query = "") => app.inject({ method: "GET", url: `/v1/videos/${id}/content${query}` });
const addFault = (payload: object) => app.inject({ method: "POST", url: "/_sim/faults", payload });
const videoCounts = async (match: string) =>
  (await app.inject({ method: "GET", url: `/_sim/videos?match=${encodeURIComponent(match)}` })).json();

describe("POST /v1/videos", () => {
  it("creates a queued task in OpenAI's video shape, with defaults", async () => {
    const res = await create({ prompt: "a fox in snow" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: expect.stringMatching(/^video_[A-Za-z0-9]+$/),
      object: "video",
      model: "sora-2",
      status: "queued",
      progress: 0,
      created_at: 1_700_000_000,
      completed_at: null,
      expires_at: null,
      prompt: "a fox in snow",
      size: "720x1280",
      seconds: "4",
      remixed_from_video_id: null,
      error: null,
    });
  });

  it("accepts multipart/form-data with an input_reference file, as the openai client sends it", async () => {
    const form = new FormData();
    form.set("model", "sora-2-pro");
    form.set("prompt", "from a picture");
    form.set("size", "1280x720");
    form.set("seconds", "8");
    form.set("input_reference", new Blob([Buffer.from("not really a png")], { type: "image/png" }), "ref.png");
    const encoded = new Response(form);
    const res = await app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: { "content-type": encoded.headers.get("content-type")! },
      payload: Buffer.from(await encoded.arrayBuffer()),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ model: "sora-2-pro", prompt: "from a picture", size: "1280x720", seconds: "8" });
  });

  it("rejects invalid bodies with 400", async () => {
    expect((await create({ model: "sora-2" })).statusCode).toBe(400);
    expect((await create({ prompt: "x", seconds: "5" })).statusCode).toBe(400);
    expect((await create({ prompt: "x", size: "640x480" })).statusCode).toBe(400);
    expect((await create({ prompt: "x", seconds: 12 })).json().seconds).toBe("12");
    const broken = await app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: { "content-type": "multipart/form-data; boundary=b" },
      payload: '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nno end',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.type).toBe("invalid_request_error");
  });

  it("returns the same task for a repeated Idempotency-Key, and counts one creation", async () => {
    const first = (await create({ prompt: "idem vid-1" }, { "idempotency-key": "job-1" })).json();
    now += 1000;
    const again = (await create({ prompt: "idem vid-1" }, { "idempotency-key": "job-1" })).json();
    expect(again).toEqual(first);
    const other = (await create({ prompt: "idem vid-1" }, { "idempotency-key": "job-2" })).json();
    expect(other.id).not.toBe(first.id);
    expect(await videoCounts("vid-1")).toEqual({ match: "vid-1", created: 2, polls: 0, deleted: 0 });
    const stats = (await app.inject({ method: "GET", url: "/_sim/stats" })).json();
    expect(stats).toMatchObject({ video_tasks_created: 2, requests: 3 });
  });
});

describe("a video's life", () => {
  it("goes queued → in_progress → completed by the clock, and only then has content", async () => {
    const { id } = (await create({ prompt: "slow river", seconds: "8" })).json();
    expect((await retrieve(id)).json()).toMatchObject({ status: "queued", progress: 0 });
    expect((await content(id)).statusCode).toBe(404);
    expect((await content(id)).json().error).toMatchObject({ type: "invalid_request_error" });

    now += 1500;
    expect((await retrieve(id)).json()).toMatchObject({ status: "in_progress", progress: 50, completed_at: null });
    now += 1500;
    const done = (await retrieve(id)).json();
    expect(done).toMatchObject({ status: "completed", progress: 100, completed_at: 1_700_000_003, error: null });
    expect(done.expires_at).toBe(done.completed_at + 3600);

    const video = await content(id);
    expect(video.statusCode).toBe(200);
    expect(video.headers["content-type"]).toBe("video/mp4");
    const boxes = readBoxes(video.rawPayload);
    expect(boxes.map((b) => b.type)).toEqual(["ftyp", "moov", "mdat"]);
    const mvhd = find(boxes, "moov", "mvhd").payload;
    expect(mvhd.readUInt32BE(16) / mvhd.readUInt32BE(12)).toBe(8);

    const thumbnail = await content(id, "?variant=thumbnail");
    expect(thumbnail.headers["content-type"]).toBe("image/png");
    expect(readPng(thumbnail.rawPayload)).toMatchObject({ width: 36, height: 64 });
    expect((await content(id, "?variant=spritesheet")).headers["content-type"]).toBe("image/png");
    expect((await content(id, "?variant=poster")).statusCode).toBe(400);
    expect((await videoCounts("slow river")).polls).toBe(3);
  });

  it("ends failed with video_fail, and takes video_ms instead of SIM_VIDEO_MS", async () => {
    await addFault({ match: "vid-f", video_fail: true, video_ms: 500, message: "moderation blocked it" });
    const { id } = (await create({ prompt: "vid-f" })).json();
    now += 499;
    expect((await retrieve(id)).json().status).toBe("in_progress");
    now += 1;
    expect((await retrieve(id)).json()).toMatchObject({
      status: "failed",
      completed_at: null,
      error: { code: "video_generation_failed", message: "moderation blocked it" },
    });
    const missing = await content(id);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toMatch(/failed/);
  });

  it("lists newest first and deletes", async () => {
    const a = (await create({ prompt: "a" })).json();
    now += 1000;
    const b = (await create({ prompt: "b" })).json();
    const list = (await app.inject({ method: "GET", url: "/v1/videos?limit=1" })).json();
    expect(list).toMatchObject({ object: "list", first_id: b.id, last_id: b.id, has_more: true });
    const next = (await app.inject({ method: "GET", url: `/v1/videos?limit=1&after=${b.id}` })).json();
    expect(next.data.map((v: { id: string }) => v.id)).toEqual([a.id]);
    expect(next.has_more).toBe(false);
    expect((await app.inject({ method: "GET", url: "/v1/videos?limit=0" })).statusCode).toBe(400);

    const deleted = await app.inject({ method: "DELETE", url: `/v1/videos/${a.id}` });
    expect(deleted.json()).toEqual({ id: a.id, object: "video.deleted", deleted: true });
    expect((await retrieve(a.id)).statusCode).toBe(404);
    expect((await retrieve(a.id)).json().error.code).toBe("video_not_found");
    expect((await app.inject({ method: "DELETE", url: `/v1/videos/${a.id}` })).statusCode).toBe(404);
  });
});

describe("video faults", () => {
  it("fire on the step named by `on`, matched against the task's prompt", async () => {
    await addFault({ match: "vid-p", on: "poll", status: 503, retry_after: 1, times: 2 });
    await addFault({ match: "vid-p", on: "content", status: 500 });
    const created = await create({ prompt: "vid-p" });
    expect(created.statusCode).toBe(200);
    const { id } = created.json();
    const first = await retrieve(id);
    expect(first.statusCode).toBe(503);
    expect(first.headers["retry-after"]).toBe("1");
    expect((await retrieve(id)).statusCode).toBe(503);
    expect((await retrieve(id)).statusCode).toBe(200);
    now += 3000;
    expect((await content(id)).statusCode).toBe(500);
    expect((await content(id)).statusCode).toBe(200);
    expect(await videoCounts("vid-p")).toEqual({ match: "vid-p", created: 1, polls: 3, deleted: 0 });
  });

  it("make a failed create create nothing, and a truncated create lose the answer but not the task", async () => {
    await addFault({ match: "vid-c", on: "create", status: 429 });
    expect((await create({ prompt: "vid-c" })).statusCode).toBe(429);
    expect((await videoCounts("vid-c")).created).toBe(0);
    const lost = await create({ prompt: "vid-c" }, { "x-sim-fault": "truncate_after=20", "idempotency-key": "k" });
    expect(lost.statusCode).toBe(200);
    expect(() => JSON.parse(lost.body)).toThrow();
    const retried = await create({ prompt: "vid-c" }, { "idempotency-key": "k" });
    expect(retried.json().id).toMatch(/^video_/);
    expect((await videoCounts("vid-c")).created).toBe(1);
    const stats = (await app.inject({ method: "GET", url: "/_sim/stats" })).json();
    expect(stats).toMatchObject({ video_tasks_created: 1, video_tasks_by_match: { "vid-c": 1 } });
  });

  it("truncate a download with truncate_after", async () => {
    const { id } = (await create({ prompt: "x", seconds: "4" })).json();
    now += 3000;
    const cut = await app.inject({
      method: "GET",
      url: `/v1/videos/${id}/content`,
      headers: { "x-sim-fault": "truncate_after=100" },
    });
    expect(cut.statusCode).toBe(200);
    expect(cut.rawPayload).toHaveLength(100);
  });

  it("reset with the other counters, keeping the tasks", async () => {
    const { id } = (await create({ prompt: "vid-r" })).json();
    await retrieve(id);
    await app.inject({ method: "DELETE", url: "/_sim/stats" });
    expect(await videoCounts("vid-r")).toEqual({ match: "vid-r", created: 0, polls: 0, deleted: 0 });
    expect((await retrieve(id)).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/_sim/stats" })).json().video_tasks_created).toBe(0);
  });
});

describe("auth", () => {
  it("requires the key on every video endpoint when SIM_REQUIRE_KEY is set", async () => {
    const keyed = createSimApp({ requireKey: "sk-sim" });
    try {
      const auth = { authorization: "Bearer sk-sim" };
      const made = await keyed.inject({ method: "POST", url: "/v1/videos", payload: { prompt: "x" }, headers: auth });
      const id = made.json().id as string;
      for (const [method, url] of [
        ["POST", "/v1/videos"],
        ["GET", "/v1/videos"],
        ["GET", `/v1/videos/${id}`],
        ["GET", `/v1/videos/${id}/content`],
        ["DELETE", `/v1/videos/${id}`],
      ] as const) {
        const res = await keyed.inject({ method, url, payload: method === "POST" ? { prompt: "x" } : undefined });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
      }
      expect((await keyed.inject({ method: "GET", url: `/v1/videos/${id}`, headers: auth })).statusCode).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});
