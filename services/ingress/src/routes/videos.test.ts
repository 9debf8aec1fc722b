import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { connect } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { decodeJson } from "@switchyard/bus";
import { JOB_RETENTION_MS, JobCancelled, JobSubmitted, type VideoObject } from "@switchyard/contracts";
import { AUTH_A, KEY_A, KEY_B, createTrackedHarness, type TrackedHarness } from "../test-support/tracked-harness.js";

const AUTH_B = { authorization: `Bearer ${KEY_B}` };
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

let h: TrackedHarness;

beforeAll(async () => {
  h = await createTrackedHarness({ VIDEO_INPUT_MAX_BYTES: String(64 * 1024) });
});
afterAll(async () => {
  await h?.close();
});

async function createVideo(payload: Record<string, unknown> = { prompt: "a calm sea" }): Promise<VideoObject> {
  const res = await h.app.inject({ method: "POST", url: "/v1/videos", headers: AUTH_A, payload });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<VideoObject>();
}

async function getVideo(id: string, headers = AUTH_A) {
  return h.app.inject({ method: "GET", url: `/v1/videos/${id}`, headers });
}

async function takeVideo(id: string): Promise<JobSubmitted> {
  for (;;) {
    const job = await h.worker.take("video");
    if (job.id === id) return job;
  }
}

describe("POST /v1/videos", () => {
  it("accepts JSON and answers 200 with the queued video object", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: AUTH_A,
      payload: { prompt: "a calm sea" },
    });
    expect(res.statusCode).toBe(200);
    const video = res.json<VideoObject>();
    expect(video).toEqual({
      id: expect.stringMatching(/^video_/),
      object: "video",
      model: "sora-2",
      status: "queued",
      progress: 0,
      created_at: expect.any(Number),
      completed_at: null,
      expires_at: null,
      prompt: "a calm sea",
      size: "720x1280",
      seconds: "4",
      remixed_from_video_id: null,
      error: null,
    });
    expect(res.headers["x-request-id"]).toBe(video.id);
    const stored = await h.statusStore.get("tenant-a", video.id);
    const msg = await h.bus.jsm.streams.getMessage(h.names.jobsStream, { seq: stored!.record.jobsSeq! });
    expect(msg!.subject).toBe(h.names.jobSubject("video", "video"));
    expect(JobSubmitted.parse(decodeJson(msg!.data))).toMatchObject({
      id: video.id,
      kind: "video",
      tracked: true,
      request: { prompt: "a calm sea", model: "sora-2", size: "720x1280", seconds: "4" },
    });
  });

  it("accepts multipart with an input_reference image, stored for the worker", async () => {
    const form = new FormData();
    form.append("prompt", "a dog on a beach");
    form.append("seconds", "8");
    form.append("size", "1280x720");
    form.append("input_reference", new Blob([PNG], { type: "image/png" }), "ref.png");
    const res = await h.app.inject({ method: "POST", url: "/v1/videos", headers: AUTH_A, payload: form });
    expect(res.statusCode, res.body).toBe(200);
    const video = res.json<VideoObject>();
    expect(video).toMatchObject({ prompt: "a dog on a beach", seconds: "8", size: "1280x720", status: "queued" });

    const job = await takeVideo(video.id);
    expect(job.request["input_reference"]).toBe(`${video.id}/input_reference`);
    expect(Buffer.from((await h.artifacts.getBytes(`${video.id}/input_reference`))!)).toEqual(PNG);
    expect(await h.artifacts.info(`${video.id}/input_reference`)).toMatchObject({ contentType: "image/png" });
  });

  it("refuses bad fields and files, naming them", async () => {
    const form = (build: (f: FormData) => void) => {
      const f = new FormData();
      f.append("prompt", "x");
      build(f);
      return f;
    };
    const cases: [FormData | Record<string, unknown>, number, string | null][] = [
      [{ prompt: "" }, 400, "prompt"],
      [{ prompt: "x", size: "640x480" }, 400, "size"],
      [{ prompt: "x", seconds: 5 }, 400, "seconds"],
      [{ prompt: "x", model: "gpt-4o-mini" }, 400, "model"],
      [{ prompt: "x", model: "nope" }, 404, "model"],
      [{ prompt: "x", input_reference: "video_other/input_reference" }, 400, "input_reference"],
      [form((f) => f.append("seconds", "5")), 400, "seconds"],
      [
        form((f) => f.append("input_reference", new Blob(["%PDF"], { type: "application/pdf" }), "a.pdf")),
        400,
        "input_reference",
      ],
      [
        form((f) => f.append("input_reference", new Blob([randomBytes(65 * 1024)], { type: "image/png" }), "big.png")),
        413,
        "input_reference",
      ],
      [form((f) => f.append("other_file", new Blob([PNG], { type: "image/png" }), "x.png")), 400, "other_file"],
      // Declared an image, but the bytes are not one.
      [
        form((f) => f.append("input_reference", new Blob(["%PDF-1.7"], { type: "image/png" }), "a.png")),
        400,
        "input_reference",
      ],
      [
        form((f) => f.append("input_reference[image_url]", "https://example.com/a.png")),
        400,
        "input_reference[image_url]",
      ],
      [form((f) => f.append("prompt", "again")), 400, "prompt"],
    ];
    for (const [payload, status, param] of cases) {
      const res = await h.app.inject({ method: "POST", url: "/v1/videos", headers: AUTH_A, payload });
      const label = payload instanceof FormData ? JSON.stringify([...payload.keys()]) : JSON.stringify(payload);
      expect(res.statusCode, label).toBe(status);
      expect(res.json().error.param, label).toBe(param);
    }
  });

  it("refuses a malformed multipart body with a 400, not a 500", async () => {
    const field = '--XX\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nx\r\n';
    const file = '--XX\r\nContent-Disposition: form-data; name="input_reference"; filename="a.png"\r\n';
    const cases: [string, string][] = [
      ["multipart/form-data", `${field}--XX--\r\n`], // no boundary
      [`multipart/form-data; boundary=${"b".repeat(300)}`, `${field}--XX--\r\n`], // longer than busboy takes
      ["multipart/form-data; boundary=XX", `${field}${file}Content-Type: image/png\r\n\r\nPNG`], // a part cut short
    ];
    for (const [contentType, payload] of cases) {
      const res = await h.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: { ...AUTH_A, "content-type": contentType },
        payload,
      });
      expect(res.statusCode, contentType).toBe(400);
      expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_multipart" });
    }
  });

  it("refuses, over a real socket, a body whose last field has no closing boundary instead of dropping the field", async () => {
    const app = h.createApp();
    await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const field = (name: string, value: string) =>
        `--XX\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
      const body = `${field("prompt", "a calm sea")}\r\n${field("seconds", "8")}`;
      const cut = await rawPost(port, "/v1/videos", "multipart/form-data; boundary=XX", body);
      expect(cut.status, cut.body).toBe(400);
      expect(JSON.parse(cut.body).error).toMatchObject({ type: "invalid_request_error", code: "invalid_multipart" });
      // The same body closed is whole, and its last field counts.
      const whole = await rawPost(port, "/v1/videos", "multipart/form-data; boundary=XX", `${body}\r\n--XX--\r\n`);
      expect(whole.status, whole.body).toBe(200);
      expect(JSON.parse(whole.body)).toMatchObject({ prompt: "a calm sea", seconds: "8" });
    } finally {
      await app.close();
    }
  });

  it("makes one video of an Idempotency-Key, named video_", async () => {
    const headers = { ...AUTH_A, "idempotency-key": "clip-1" };
    const first = await h.app.inject({ method: "POST", url: "/v1/videos", headers, payload: { prompt: "once" } });
    const before = (await h.bus.jsm.streams.info(h.names.jobsStream)).state.last_seq;
    const again = await h.app.inject({ method: "POST", url: "/v1/videos", headers, payload: { prompt: "once" } });
    expect(first.json().id).toMatch(/^video_/);
    expect(again.json()).toEqual(first.json());
    expect((await h.bus.jsm.streams.info(h.names.jobsStream)).state.last_seq).toBe(before);
  });

  it("keeps multipart to this route: other routes still refuse it", async () => {
    const form = new FormData();
    form.append("type", "chat.completion");
    const res = await h.app.inject({ method: "POST", url: "/v1/jobs", headers: AUTH_A, payload: form });
    expect(res.statusCode).toBe(415);
  });
});

describe("the Videos API through the official OpenAI client", () => {
  it("creates (multipart), retrieves, lists, downloads and deletes", async () => {
    const app = h.createApp();
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const client = new OpenAI({ apiKey: KEY_A, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });

    const created = await client.videos.create({
      prompt: "a lighthouse at dusk",
      model: "sora-2",
      seconds: "8",
      size: "1792x1024",
      input_reference: await toFile(PNG, "ref.png", { type: "image/png" }),
    });
    expect(created).toMatchObject({ object: "video", status: "queued", seconds: "8", size: "1792x1024" });
    const job = await takeVideo(created.id);
    expect(job.request["input_reference"]).toBe(`${created.id}/input_reference`);

    await h.worker.start(job);
    await h.worker.progress(job, 42);
    expect(await client.videos.retrieve(created.id)).toMatchObject({ status: "in_progress", progress: 42 });

    const mp4 = randomBytes(1000);
    await h.worker.completeVideo(job, mp4);
    const done = await client.videos.retrieve(created.id);
    expect(done).toMatchObject({ status: "completed", progress: 100, completed_at: expect.any(Number) });
    // Its content is kept for the retention of job records, counted from completion.
    expect(done.expires_at).toBe(done.completed_at! + JOB_RETENTION_MS / 1000);
    const content = await client.videos.downloadContent(created.id);
    expect(Buffer.from(await content.arrayBuffer())).toEqual(mp4);

    const page = await client.videos.list({ limit: 100 });
    expect(page.data.map((v) => v.id)).toContain(created.id);

    expect(await client.videos.delete(created.id)).toEqual({ id: created.id, object: "video.deleted", deleted: true });
    await expect(client.videos.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(await h.artifacts.info(`${created.id}/video.mp4`)).toBeNull();
    expect(await h.artifacts.info(`${created.id}/input_reference`)).toBeNull();
  });
});

describe("the official client's file uploads", () => {
  it("accepts an input_reference sent as application/octet-stream (a file stream), typed from its bytes", async () => {
    const app = h.createApp();
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const client = new OpenAI({ apiKey: KEY_A, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    const dir = await mkdtemp(join(tmpdir(), "switchyard-ref-"));
    try {
      await writeFile(join(dir, "ref.png"), PNG);
      // As OpenAI's guide writes it; the client sends such a part as application/octet-stream.
      const created = await client.videos.create({
        prompt: "a kite",
        input_reference: createReadStream(join(dir, "ref.png")),
      });
      expect(await h.artifacts.info(`${created.id}/input_reference`)).toMatchObject({ contentType: "image/png" });
      const jpeg = Buffer.from("ffd8ffe000104a464946", "hex");
      const fromBuffer = await client.videos.create({
        prompt: "a kite",
        input_reference: await toFile(jpeg, "ref.jpg"),
      });
      expect(await h.artifacts.info(`${fromBuffer.id}/input_reference`)).toMatchObject({ contentType: "image/jpeg" });
      const notImage = client.videos.create({
        prompt: "a kite",
        input_reference: await toFile(Buffer.from("%PDF-1.7"), "a.png"),
      });
      await expect(notImage).rejects.toMatchObject({
        status: 400,
        param: "input_reference",
        code: "invalid_file_type",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("GET /v1/videos/{id}", () => {
  it("maps progress, failure and cancellation onto the video statuses", async () => {
    const video = await createVideo();
    const job = await takeVideo(video.id);
    await h.worker.start(job);
    await h.worker.progress(job, 55);
    expect((await getVideo(video.id)).json()).toMatchObject({ status: "in_progress", progress: 55, error: null });

    await h.worker.fail(job, {
      message: "content policy",
      type: "invalid_request_error",
      code: "moderation_blocked",
      param: null,
      status: 400,
    });
    const failed = (await getVideo(video.id)).json<VideoObject>();
    expect(failed).toMatchObject({
      status: "failed",
      error: { code: "moderation_blocked", message: "content policy" },
    });
    expect(failed.completed_at).toEqual(expect.any(Number));

    const other = await createVideo();
    await h.app.inject({ method: "POST", url: `/v1/jobs/${other.id}/cancel`, headers: AUTH_A });
    expect((await getVideo(other.id)).json()).toMatchObject({ status: "failed", error: { code: "cancelled" } });
  });

  it("is 404 for another tenant, for job ids and for unknown ids", async () => {
    const video = await createVideo();
    for (const res of [
      await getVideo(video.id, AUTH_B),
      await h.app.inject({ method: "GET", url: `/v1/videos/${video.id}/content`, headers: AUTH_B }),
      await h.app.inject({ method: "DELETE", url: `/v1/videos/${video.id}`, headers: AUTH_B }),
      await getVideo("video_00000000unknown"),
      await getVideo(video.id.replace("video_", "job_")),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "not_found" });
    }
    expect((await getVideo(video.id)).statusCode).toBe(200);
  });
});

describe("GET /v1/videos/{id}/content", () => {
  const mp4 = randomBytes(300 * 1024 + 17); // several object-store chunks
  let id: string;

  beforeAll(async () => {
    id = (await createVideo()).id;
    const before = await h.app.inject({ method: "GET", url: `/v1/videos/${id}/content`, headers: AUTH_A });
    expect(before.statusCode).toBe(404);
    expect(before.json().error).toMatchObject({ type: "invalid_request_error", code: "video_not_ready" });
    await h.worker.completeVideo(await takeVideo(id), mp4);
  });

  const get = (headers: Record<string, string> = {}, query = "") =>
    h.app.inject({ method: "GET", url: `/v1/videos/${id}/content${query}`, headers: { ...AUTH_A, ...headers } });

  it("sends the whole MP4 with its length", async () => {
    const res = await get();
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("video/mp4");
    expect(res.headers["content-length"]).toBe(String(mp4.length));
    expect(res.headers["accept-ranges"]).toBe("bytes");
    expect(res.rawPayload.equals(mp4)).toBe(true);
    expect((await get({}, "?variant=video")).statusCode).toBe(200);
  });

  it("serves byte ranges with 206", async () => {
    const size = mp4.length;
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=131000-140000", 131000, 140000], // across a chunk boundary
      ["bytes=200000-", 200000, size - 1],
      ["bytes=-100", size - 100, size - 1],
      ["bytes=5-5", 5, 5],
      ["bytes=300000-999999999", 300000, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await get({ range });
      expect(res.statusCode, range).toBe(206);
      expect(res.headers["content-range"], range).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers["content-length"], range).toBe(String(end - start + 1));
      expect(res.rawPayload.equals(mp4.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it("answers 416 for a range past the end, and ignores ranges it does not serve", async () => {
    const res = await get({ range: `bytes=${mp4.length}-` });
    expect(res.statusCode).toBe(416);
    expect(res.headers["content-range"]).toBe(`bytes */${mp4.length}`);
    expect(res.json().error.code).toBe("range_not_satisfiable");
    const several = await get({ range: "bytes=0-1,5-6" });
    expect(several.statusCode).toBe(200);
    expect(several.rawPayload.length).toBe(mp4.length);
  });

  it("answers HEAD with the headers only", async () => {
    const res = await h.app.inject({ method: "HEAD", url: `/v1/videos/${id}/content`, headers: AUTH_A });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-length"]).toBe(String(mp4.length));
    expect(res.rawPayload.length).toBe(0);
  });

  it("refuses other variants", async () => {
    for (const variant of ["thumbnail", "spritesheet", "bogus"]) {
      const res = await get({}, `?variant=${variant}`);
      expect(res.statusCode, variant).toBe(400);
      expect(res.json().error.param).toBe("variant");
    }
  });
});

describe("GET /v1/videos", () => {
  /** Creates `count` videos of tenant A (prompts v0, v1, …), oldest first. */
  const createVideos = async (h2: TrackedHarness, count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const payload = { prompt: `v${i}` };
      const res = await h2.app.inject({ method: "POST", url: "/v1/videos", headers: AUTH_A, payload });
      ids.push(res.json<VideoObject>().id);
    }
    return ids;
  };

  it("lists only the tenant's videos, newest first or oldest first, with a cursor", async () => {
    const h2 = await createTrackedHarness();
    try {
      const ids = await createVideos(h2, 3);
      await h2.app.inject({
        method: "POST",
        url: "/v1/jobs",
        headers: AUTH_A,
        payload: { type: "video.generation", body: { prompt: "a job, not a video" } },
      });
      await h2.app.inject({ method: "POST", url: "/v1/videos", headers: AUTH_B, payload: { prompt: "b" } });

      const list = async (query: string) =>
        (await h2.app.inject({ method: "GET", url: `/v1/videos${query}`, headers: AUTH_A })).json();
      const all = await list("");
      expect(all).toMatchObject({ object: "list", has_more: false, first_id: ids[2], last_id: ids[0] });
      expect(all.data.map((v: VideoObject) => v.id)).toEqual([...ids].reverse());
      expect(all.data[0]).toMatchObject({ object: "video", prompt: "v2" });

      const first = await list("?limit=2");
      expect(first).toMatchObject({ has_more: true, data: [{ id: ids[2] }, { id: ids[1] }] });
      expect(await list(`?limit=2&after=${first.last_id}`)).toMatchObject({ has_more: false, data: [{ id: ids[0] }] });
      const asc = await list("?order=asc&limit=2");
      expect(asc).toMatchObject({ has_more: true, data: [{ id: ids[0] }, { id: ids[1] }] });
      expect(await list(`?order=asc&after=${asc.last_id}`)).toMatchObject({ data: [{ id: ids[2] }] });
      const bad = await h2.app.inject({ method: "GET", url: "/v1/videos?order=up", headers: AUTH_A });
      expect(bad.json().error.param).toBe("order");
    } finally {
      await h2.close();
    }
  });

  it("fills a page past deleted videos, so the official client's iteration reaches every video", async () => {
    const h2 = await createTrackedHarness();
    try {
      const ids = await createVideos(h2, 5);
      // The three newest are deleted: their keys stay listed (purge markers) until retention drops them.
      for (const id of ids.slice(2)) {
        const res = await h2.app.inject({ method: "DELETE", url: `/v1/videos/${id}`, headers: AUTH_A });
        expect(res.statusCode).toBe(200);
      }
      const list = async (query: string) =>
        (await h2.app.inject({ method: "GET", url: `/v1/videos${query}`, headers: AUTH_A })).json();
      expect(await list("?limit=2")).toMatchObject({
        data: [{ id: ids[1] }, { id: ids[0] }],
        first_id: ids[1],
        last_id: ids[0],
        has_more: false,
      });
      expect(await list("?limit=1")).toMatchObject({ data: [{ id: ids[1] }], last_id: ids[1], has_more: true });
      expect(await list(`?limit=1&after=${ids[1]}`)).toMatchObject({ data: [{ id: ids[0] }], has_more: false });
      expect(await list("?order=asc&limit=2")).toMatchObject({
        data: [{ id: ids[0] }, { id: ids[1] }],
        has_more: false,
      });

      const app = h2.createApp();
      await app.listen({ host: "127.0.0.1", port: 0 });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const client = new OpenAI({ apiKey: KEY_A, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      const seen: string[] = [];
      for await (const video of client.videos.list({ limit: 2 })) seen.push(video.id);
      expect(seen).toEqual([ids[1], ids[0]]);
    } finally {
      await h2.close();
    }
  });
});

describe("DELETE /v1/videos/{id}", () => {
  it("cancels a queued video, then removes its record and upload", async () => {
    const form = new FormData();
    form.append("prompt", "to be deleted");
    form.append("input_reference", new Blob([PNG], { type: "image/png" }), "ref.png");
    const res = await h.app.inject({ method: "POST", url: "/v1/videos", headers: AUTH_A, payload: form });
    const video = res.json<VideoObject>();
    expect(await h.artifacts.info(`${video.id}/input_reference`)).not.toBeNull();

    const deleted = await h.app.inject({
      method: "DELETE",
      url: `/v1/videos/${video.id}`,
      headers: { ...AUTH_A, "content-type": "application/json" },
    });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ id: video.id, object: "video.deleted", deleted: true });
    expect(await h.statusStore.get("tenant-a", video.id)).toBeNull();
    expect(await h.artifacts.info(`${video.id}/input_reference`)).toBeNull();
    const event = await h.bus.jsm.streams.getMessage(h.names.eventsStream, {
      last_by_subj: h.names.eventSubject(video.id, "cancelled"),
    });
    expect(JobCancelled.parse(decodeJson(event!.data)).jobId).toBe(video.id);
    expect((await getVideo(video.id)).statusCode).toBe(404);
    expect((await h.app.inject({ method: "DELETE", url: `/v1/videos/${video.id}`, headers: AUTH_A })).statusCode).toBe(
      404,
    );
  });
});

/** One HTTP/1.1 request written byte for byte on a socket, as a client that builds its own body sends it. */
function rawPost(
  port: number,
  path: string,
  contentType: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const [head = "", rest = ""] = text.split("\r\n\r\n", 2);
      resolve({ status: Number(head.split(" ")[1]), body: rest });
    });
    // Written, not ended: Node's server aborts a request whose client half-closes before the answer.
    // `Connection: close` has the server end the socket once it has answered.
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH_A.authorization}\r\n` +
        `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
