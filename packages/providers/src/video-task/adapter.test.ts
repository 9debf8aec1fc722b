import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { UnusableOutputError, UpstreamRejectedError } from "@switchyard/contracts";
import { fixture } from "../test-support/fixtures.js";
import { createVideoTaskAdapter } from "./adapter.js";

const route = {
  id: "sora",
  dialect: "video-task",
  baseUrl: "https://api.openai.test/v1",
  upstreamModel: "sora-2",
  apiKey: "sk-test",
  timeoutMs: 5000,
};
const id = "video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5";
const options = { signal: AbortSignal.timeout(5000) };
/** The start of an MP4: a 24-byte `ftyp` box (isom brand) and an empty `free` box. */
const mp4 = Buffer.concat([
  Buffer.from([0, 0, 0, 24]),
  Buffer.from("ftypisom\0\0\x02\0isomiso2", "latin1"),
  Buffer.from([0, 0, 0, 8]),
  Buffer.from("free"),
]);

describe("createVideoTaskAdapter", () => {
  let agent: MockAgent;
  const upstream = () => agent.get("https://api.openai.test");
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(() => agent.close());

  it("creates a task with a JSON body, the route's model and an Idempotency-Key", async () => {
    let seen: { headers: Record<string, string>; body: unknown } | undefined;
    upstream()
      .intercept({ path: "/v1/videos", method: "POST" })
      .reply(200, (opts) => {
        seen = { headers: opts.headers as Record<string, string>, body: JSON.parse(String(opts.body)) };
        return fixture(import.meta.url, "video-queued.json");
      });
    const state = await createVideoTaskAdapter(route, agent).createVideoTask(
      { prompt: "A calico cat playing a piano on stage", size: "1280x720", seconds: "8" },
      { ...options, idempotencyKey: "job_123" },
    );
    expect(seen?.headers).toMatchObject({
      authorization: "Bearer sk-test",
      "idempotency-key": "job_123",
      "content-type": "application/json",
    });
    expect(seen?.body).toEqual({
      prompt: "A calico cat playing a piano on stage",
      size: "1280x720",
      seconds: "8",
      model: "sora-2",
    });
    expect(state).toEqual({ taskId: id, status: "queued", progress: 0, error: null, seconds: 8 });
  });

  it("sends multipart/form-data with the reference image", async () => {
    let seen: { contentType: string; body: string } | undefined;
    upstream()
      .intercept({ path: "/v1/videos", method: "POST" })
      .reply(200, (opts) => {
        const headers = opts.headers as Record<string, string>;
        seen = {
          contentType: headers["content-type"] ?? "",
          body: Buffer.from(opts.body as Uint8Array).toString("latin1"),
        };
        return fixture(import.meta.url, "video-queued.json");
      });
    await createVideoTaskAdapter(route, agent).createVideoTask(
      { prompt: "animate this" },
      {
        ...options,
        idempotencyKey: "job_124",
        inputReference: {
          bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
          contentType: "image/jpeg",
          filename: "ref.jpg",
        },
      },
    );
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(seen?.contentType ?? "")?.[1];
    expect(boundary).toBeDefined();
    expect(seen?.body).toContain(
      `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nanimate this\r\n`,
    );
    expect(seen?.body).toContain('name="model"\r\n\r\nsora-2\r\n');
    expect(seen?.body).toContain(
      'name="input_reference"; filename="ref.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0\r\n',
    );
    expect(seen?.body.endsWith(`--${boundary}--\r\n`)).toBe(true);
  });

  it("reads a task's state", async () => {
    upstream()
      .intercept({ path: `/v1/videos/${id}`, method: "GET" })
      .reply(200, fixture(import.meta.url, "video-in-progress.json"));
    expect(await createVideoTaskAdapter(route, agent).getVideoTask(id, options)).toMatchObject({
      status: "in_progress",
      progress: 42,
    });
  });

  it("treats an unknown task as a rejection, not a retry", async () => {
    upstream()
      .intercept({ path: "/v1/videos/video_nope", method: "GET" })
      .reply(404, fixture(import.meta.url, "error-not-found.json"));
    const call = createVideoTaskAdapter(route, agent).getVideoTask("video_nope", options);
    await expect(call).rejects.toBeInstanceOf(UpstreamRejectedError);
    await expect(call).rejects.toMatchObject({ message: "upstream returned 404 (video_not_found)", retryable: false });
  });

  it("downloads the MP4's bytes", async () => {
    upstream()
      .intercept({ path: `/v1/videos/${id}/content`, method: "GET" })
      .reply(200, mp4, { headers: { "content-type": "video/mp4" } });
    const video = await createVideoTaskAdapter(route, agent).downloadVideo(id, options);
    expect(video.contentType).toBe("video/mp4");
    expect(Buffer.from(video.bytes).equals(mp4)).toBe(true);
  });

  it("rejects content that is not an MP4", async () => {
    upstream()
      .intercept({ path: `/v1/videos/${id}/content`, method: "GET" })
      .reply(200, '{"status":"processing"}', { headers: { "content-type": "application/json" } });
    const call = createVideoTaskAdapter(route, agent).downloadVideo(id, options);
    await expect(call).rejects.toBeInstanceOf(UnusableOutputError);
    await expect(call).rejects.toThrow("upstream returned a video that is not an MP4 file");
  });

  it("deletes a task, and counts one the upstream no longer knows as deleted", async () => {
    let seen: Record<string, string> | undefined;
    upstream()
      .intercept({ path: `/v1/videos/${id}`, method: "DELETE" })
      .reply(200, (opts) => {
        seen = opts.headers as Record<string, string>;
        return { id, object: "video.deleted", deleted: true };
      });
    upstream()
      .intercept({ path: "/v1/videos/video_gone", method: "DELETE" })
      .reply(404, fixture(import.meta.url, "error-not-found.json"));
    const adapter = createVideoTaskAdapter(route, agent);
    await expect(adapter.deleteVideoTask(id, options)).resolves.toBeUndefined();
    expect(seen).toMatchObject({ authorization: "Bearer sk-test" });
    await expect(adapter.deleteVideoTask("video_gone", options)).resolves.toBeUndefined();
  });

  it("passes on a failed delete, retryable when the upstream is unavailable", async () => {
    upstream().intercept({ path: `/v1/videos/${id}`, method: "DELETE" }).reply(503, "unavailable");
    await expect(createVideoTaskAdapter(route, agent).deleteVideoTask(id, options)).rejects.toMatchObject({
      retryable: true,
    });
  });
});
