import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomId } from "@switchyard/contracts";
import { DEV_KEY, startStack, type Stack } from "./support/stack.js";

// Images and videos through JetStream: real PNGs as base64 or signed links, and videos from
// create through progress to an MP4 served with range requests — and a worker killed during a
// video job, replaced, with exactly one upstream task and one charge.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    families: ["images", "video"],
    simEnv: { SIM_VIDEO_MS: "1500" },
    workerEnv: { WORKER_VIDEO_POLL_MS: "150", WORKER_ACK_WAIT_MS: "2000", WORKER_CONCURRENCY: "600" },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const isPng = (bytes: Uint8Array): boolean => PNG_MAGIC.every((b, i) => bytes[i] === b);

describe("images", () => {
  it("generates real PNGs as b64_json", async () => {
    const result = await stack.openai.images.generate({ model: "gpt-image-1", prompt: "a lighthouse at dusk", n: 2 });
    expect(result.data).toHaveLength(2);
    for (const image of result.data!) expect(isPng(Buffer.from(image.b64_json!, "base64"))).toBe(true);
    expect(typeof result.created).toBe("number");
  });

  it("answers url results with absolute, signed, expiring links that a browser can load", async () => {
    const result = await stack.openai.images.generate({
      model: "gpt-image-1",
      prompt: "a red bicycle",
      response_format: "url",
    });
    const url = new URL(result.data![0]!.url!);
    expect(url.origin).toBe(stack.ingressUrl);
    expect(url.searchParams.get("expires")).toMatch(/^\d+$/);
    const expiresIn = Number(url.searchParams.get("expires")) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(3000);
    expect(expiresIn).toBeLessThanOrEqual(3600);

    const res = await fetch(url); // no Authorization header, as a browser
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(isPng(new Uint8Array(await res.arrayBuffer()))).toBe(true);

    const tampered = new URL(url);
    tampered.searchParams.set("signature", "0".repeat(64));
    expect((await fetch(tampered)).status).toBe(404);
    const expired = new URL(url);
    expired.searchParams.set("expires", String(Math.floor(Date.now() / 1000) - 10));
    expect((await fetch(expired)).status).toBe(404);
    const unsigned = new URL(url);
    unsigned.search = "";
    expect((await fetch(unsigned)).status).toBe(404);
  });
});

async function waitForVideo(id: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const video = await stack.openai.videos.retrieve(id);
    seen.add(video.status);
    if (video.status === "completed" || video.status === "failed") return { video, seen };
    if (Date.now() > deadline) throw new Error(`video ${id} stuck in ${video.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the video is generating upstream and has made progress. */
async function waitForProgress(id: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await stack.openai.videos.retrieve(id);
    if (v.status === "in_progress" && v.progress > 0) return;
    if (Date.now() > deadline) throw new Error(`video ${id} never in progress`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("videos", () => {
  it("creates, polls, downloads (MP4, ranges), lists and deletes a video", async () => {
    const created = await stack.openai.videos.create({
      model: "sora-2",
      prompt: `a fox in snow ${randomId(6)}`,
      seconds: "4",
    });
    expect(created).toMatchObject({ object: "video", model: "sora-2", status: "queued", progress: 0, seconds: "4" });
    expect(created.id).toMatch(/^video_/);

    const { video, seen } = await waitForVideo(created.id);
    expect(video.status).toBe("completed");
    expect(video.progress).toBe(100);
    expect(seen.has("in_progress") || seen.has("queued")).toBe(true);

    const content = await stack.openai.videos.downloadContent(created.id);
    expect(content.headers.get("content-type")).toBe("video/mp4");
    const bytes = new Uint8Array(await content.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(4, 8))).toBe("ftyp");

    const range = await fetch(`${stack.ingressUrl}/v1/videos/${created.id}/content`, {
      headers: { authorization: `Bearer ${DEV_KEY}`, range: "bytes=4-7" },
    });
    expect(range.status).toBe(206);
    expect(range.headers.get("content-range")).toBe(`bytes 4-7/${bytes.length}`);
    expect(new TextDecoder().decode(new Uint8Array(await range.arrayBuffer()))).toBe("ftyp");

    const page = await stack.openai.videos.list({ limit: 10 });
    expect(page.data.map((v) => v.id)).toContain(created.id);

    const deleted = await stack.openai.videos.delete(created.id);
    expect(deleted.deleted).toBe(true);
    await expect(stack.openai.videos.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  }, 60_000);

  it("accepts multipart with an input_reference image", async () => {
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      "base64",
    );
    const { toFile } = await import("openai");
    const created = await stack.openai.videos.create({
      model: "sora-2",
      prompt: `from a picture ${randomId(6)}`,
      input_reference: await toFile(png, "ref.png", { type: "image/png" }),
    });
    expect(created.status).toBe("queued");
    const { video } = await waitForVideo(created.id);
    expect(video.status).toBe("completed");
  }, 60_000);

  it("a worker killed mid-video is replaced; the job completes with one upstream task and one charge", async () => {
    const m = `m${randomId(10)}`;
    await stack.fault({ match: m, video_ms: 4000, times: -1 });
    const created = await stack.openai.videos.create({ model: "sora-2", prompt: `slow river ${m}`, seconds: "8" });
    await waitForProgress(created.id);
    const videoWorker = stack.workers.find((w) => w.name === "worker-video")!;
    videoWorker.kill();
    await stack.startWorker("video");

    const { video } = await waitForVideo(created.id, 40_000);
    expect(video.status).toBe("completed");
    const upstream = (await (await fetch(`${stack.simUrl}/_sim/videos?match=${m}`)).json()) as { created: number };
    expect(upstream.created).toBe(1);
    const rows = await stack.waitForRows<{ video_seconds: string; cost_usd: string }>(
      "select video_seconds, cost_usd from usage where job_id = $1",
      [created.id],
      (r) => r.length === 1,
    );
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.video_seconds)).toBe(8);
    expect(Number(rows[0]!.cost_usd)).toBeCloseTo(0.8, 6);
    await fetch(`${stack.simUrl}/_sim/faults`, { method: "DELETE" });
  }, 90_000);

  it("deleting a video that is still generating stops its upstream task", async () => {
    const m = `m${randomId(10)}`;
    await stack.fault({ match: m, video_ms: 60_000, times: -1 });
    const counts = async () =>
      (await (await fetch(`${stack.simUrl}/_sim/videos?match=${m}`)).json()) as { created: number; deleted: number };
    const created = await stack.openai.videos.create({ model: "sora-2", prompt: `long tide ${m}`, seconds: "4" });
    // Deleted as soon as the upstream has the task, while the worker may still await its id.
    const made = Date.now() + 15_000;
    while ((await counts()).created === 0 && Date.now() < made) await new Promise((r) => setTimeout(r, 20));
    expect((await stack.openai.videos.delete(created.id)).deleted).toBe(true);

    const until = Date.now() + 10_000;
    while ((await counts()).deleted === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(await counts()).toMatchObject({ created: 1, deleted: 1 });
    const rows = await stack.waitForRows<{ status: string }>(
      "select status from jobs where id = $1",
      [created.id],
      (r) => r[0]?.status === "cancelled",
    );
    expect(rows[0]!.status).toBe("cancelled");
    await fetch(`${stack.simUrl}/_sim/faults`, { method: "DELETE" });
  }, 60_000);
});
