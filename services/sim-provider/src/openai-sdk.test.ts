import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "./app.js";
import { readBoxes } from "./test-support/mp4-boxes.js";
import { readPng } from "./test-support/png-chunks.js";

// The official client over a real socket, on real (short) time: what the worker and the
// end-to-end tests see, including the multipart body openai-node sends for videos.create.
let app: FastifyInstance;
let base: string;
let client: OpenAI;
beforeAll(async () => {
  app = createSimApp({ videoMs: 400 });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "sk-test", maxRetries: 0 });
});
afterAll(async () => {
  await app.close();
});

describe("with the openai client", () => {
  it("generates images as b64_json and as links the sim serves", async () => {
    const b64 = await client.images.generate({ model: "gpt-image-1", prompt: "a lighthouse", n: 2 });
    expect(b64.data).toHaveLength(2);
    for (const image of b64.data ?? []) expect(readPng(Buffer.from(image.b64_json ?? "", "base64")).width).toBe(64);

    const linked = await client.images.generate({ model: "dall-e-3", prompt: "a lighthouse", response_format: "url" });
    const url = linked.data?.[0]?.url ?? "";
    expect(url.startsWith(`${base}/_sim/images/`)).toBe(true);
    const res = await fetch(url);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(readPng(Buffer.from(await res.arrayBuffer())).height).toBe(64);
  });

  it("creates a video from multipart with a reference image, watches it finish, downloads an MP4", async () => {
    const png = await toFile(Buffer.from("iVBORw0KGgo=", "base64"), "ref.png", { type: "image/png" });
    const created = await client.videos.create(
      { model: "sora-2", prompt: "a fox sdk-1", seconds: "4", size: "1280x720", input_reference: png },
      // openai-node's idempotencyKey option is inert unless the client sets idempotencyHeader.
      { headers: { "Idempotency-Key": "sdk-1" } },
    );
    expect(created).toMatchObject({ object: "video", status: "queued", progress: 0, size: "1280x720", seconds: "4" });
    const again = await client.videos.create(
      { model: "sora-2", prompt: "a fox sdk-1" },
      { headers: { "Idempotency-Key": "sdk-1" } },
    );
    expect(again.id).toBe(created.id);

    const seen = new Set<string>();
    for (let video = created; video.status !== "completed";) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      video = await client.videos.retrieve(created.id);
      seen.add(video.status);
      expect(video.status).not.toBe("failed");
    }
    expect(seen.has("in_progress")).toBe(true);

    const content = await client.videos.downloadContent(created.id);
    expect(content.headers.get("content-type")).toBe("video/mp4");
    const boxes = readBoxes(Buffer.from(await content.arrayBuffer()));
    expect(boxes.map((b) => b.type)).toEqual(["ftyp", "moov", "mdat"]);

    const page = await client.videos.list({ limit: 10 });
    expect(page.data.map((v) => v.id)).toContain(created.id);
    expect((await client.videos.delete(created.id)).deleted).toBe(true);
    await expect(client.videos.retrieve(created.id)).rejects.toMatchObject({ status: 404 });

    const counts = (await (await fetch(`${base}/_sim/videos?match=sdk-1`)).json()) as { created: number };
    expect(counts.created).toBe(1);
  });

  it("gets 404 for content before completion, as an APIError", async () => {
    const created = await client.videos.create({ model: "sora-2", prompt: "not yet" });
    await expect(client.videos.downloadContent(created.id)).rejects.toMatchObject({ status: 404 });
  });
});
