import { describe, expect, it } from "vitest";
import type { Model } from "@switchyard/catalog";
import { UpstreamRejectedError, UpstreamUnavailableError } from "@switchyard/contracts";
import type { ProviderAdapter, VideoTaskState } from "@switchyard/providers";
import { createPatience } from "../patience.js";
import { silentLogger } from "../logger.js";
import { fakeContext, memoryArtifacts, memoryTaskStore } from "../test-support/context.js";
import { fakeProviders, job, route } from "../test-support/fakes.js";
import { createManualClock, type ManualClock } from "../test-support/manual-clock.js";
import { createVideoHandler } from "./video.js";

const config = {
  maxAttemptsPerRoute: 3,
  backoffBaseMs: 200,
  backoffMaxMs: 5000,
  maxRetryAfterMs: 10_000,
  finalPublishRetryMs: 1000,
  videoPollMs: 1000,
};
const model: Model = {
  id: "sora",
  kind: "video",
  family: "video",
  ownedBy: "openai",
  created: 1,
  routes: [route("vid-a", { dialect: "video-task" })],
};
const task = (progress: number, status: VideoTaskState["status"] = "in_progress"): VideoTaskState => ({
  taskId: "vt_1",
  status,
  progress,
  error: null,
  seconds: 8,
});

type Step = VideoTaskState | Error;

function setup(
  polls: Step[],
  options: { saved?: boolean; deadlineIn?: number; deleteFails?: boolean; createGate?: Promise<void> } = {},
) {
  const clock = createManualClock();
  const calls = { creates: 0, polls: 0, downloads: 0, deletes: [] as string[] };
  const warnings: string[] = [];
  const adapter: ProviderAdapter = {
    createVideoTask: async (_request, { signal }) => {
      calls.creates++;
      await options.createGate;
      // A cancel must not break the submission off: the task exists upstream once it answers.
      if (signal.aborted) throw new Error("the submission was aborted");
      return task(0, "queued");
    },
    getVideoTask: async () => {
      calls.polls++;
      const step = polls.shift();
      if (!step) throw new Error("no poll scripted");
      if (step instanceof Error) throw step;
      return step;
    },
    downloadVideo: async () => {
      calls.downloads++;
      return { bytes: new Uint8Array([1, 2, 3]), contentType: "video/mp4" };
    },
    deleteVideoTask: async (taskId, { signal }) => {
      expect(signal.aborted).toBe(false);
      calls.deletes.push(taskId);
      if (options.deleteFails) throw new UpstreamUnavailableError("upstream returned 503");
    },
  };
  const j = job({
    id: "video_abc",
    kind: "video",
    model: "sora",
    request: { prompt: "a fox", seconds: "8" },
    deadlineAt: clock.now() + (options.deadlineIn ?? 600_000),
  });
  const taskStore = memoryTaskStore(
    options.saved ? { [j.id]: { taskId: "vt_1", route: "vid-a", submittedAt: 1 } } : {},
  );
  const artifacts = memoryArtifacts();
  const handler = createVideoHandler({
    providers: fakeProviders({ "vid-a": adapter }),
    clock,
    config,
    random: () => 0.5,
    taskStore,
    artifacts,
    patiently: createPatience({ clock, config, logger: silentLogger }),
    logger: { ...silentLogger, warn: (message) => warnings.push(message) },
  });
  const ctx = fakeContext(j, model);
  return { clock, calls, warnings, ctx, taskStore, artifacts, run: () => handler(ctx) };
}

/** Moves the manual clock on until the handler settles. */
async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs = 250, maxSteps = 10_000): Promise<T> {
  let settled = false;
  const result = promise.finally(() => (settled = true));
  for (let i = 0; i < maxSteps && !settled; i++) await clock.advance(stepMs);
  return result;
}

describe("video handler", () => {
  it("submits once, saves the task, and polls on its interval until the video is stored", async () => {
    const { clock, calls, ctx, taskStore, artifacts, run } = setup([task(30), task(30), task(100, "completed")]);
    const started = clock.now();
    const outcome = await drive(clock, run());
    expect(outcome).toMatchObject({
      type: "completed",
      route: "vid-a",
      attempts: 1,
      units: { images: 0, videoSeconds: 8 },
      result: { artifact: "video_abc/video.mp4", contentType: "video/mp4", bytes: 3 },
    });
    expect(calls).toEqual({ creates: 1, polls: 3, downloads: 1, deletes: [] });
    expect(taskStore.saved.get("video_abc")).toMatchObject({ taskId: "vt_1", route: "vid-a" });
    expect(ctx.progressUpdates).toEqual([
      { progress: 0, upstreamTaskId: "vt_1" },
      { progress: 30, upstreamTaskId: "vt_1" },
      { progress: 100, upstreamTaskId: "vt_1" },
    ]);
    expect(artifacts.objects.get("video_abc/video.mp4")?.bytes).toBe(3);
    // Three polls, one interval apart (random 0.5 means no jitter).
    expect(clock.now() - started).toBeGreaterThanOrEqual(3000);
    expect(clock.now() - started).toBeLessThan(3500);
  });

  it("keeps polling through passing upstream errors, backing off, without failing the job", async () => {
    const outage = new UpstreamUnavailableError("upstream returned 503");
    const { clock, calls, run } = setup([
      outage,
      outage,
      task(50),
      new UpstreamUnavailableError("429", { retryAfterMs: 7000 }),
      task(100, "completed"),
    ]);
    const started = clock.now();
    const outcome = await drive(clock, run());
    expect(outcome).toMatchObject({ type: "completed" });
    expect(calls.polls).toBe(5);
    // Interval + backoff twice, the interval, then the upstream's own Retry-After.
    expect(clock.now() - started).toBeGreaterThanOrEqual(1000 + 1100 + 1200 + 1000 + 7000);
  });

  it("fails on an error retrying cannot fix, and with the upstream's error when the task fails", async () => {
    const gone = setup([task(10), new UpstreamRejectedError("upstream returned 404", 404)]);
    expect(await drive(gone.clock, gone.run())).toMatchObject({
      type: "failed",
      route: "vid-a",
      error: { code: "upstream_rejected" },
    });
    const refused = setup([{ ...task(100, "failed"), error: { code: "moderation_blocked", message: "no" } }]);
    expect(await drive(refused.clock, refused.run())).toMatchObject({
      type: "failed",
      error: { code: "moderation_blocked", message: "no", status: 502 },
    });
    // A task that is gone or ended upstream has nothing left to stop.
    expect([...gone.calls.deletes, ...refused.calls.deletes]).toEqual([]);
  });

  it("resumes a saved task without submitting again", async () => {
    const { clock, calls, ctx, run } = setup([task(60), task(100, "completed")], { saved: true });
    expect(await drive(clock, run())).toMatchObject({ type: "completed", attempts: 0, route: "vid-a" });
    expect(calls.creates).toBe(0);
    expect(ctx.events.filter((e) => e.type === "attempt")).toEqual([]);
    expect(ctx.progressUpdates.map((p) => p.progress)).toEqual([60, 100]);
  });

  it("gives up at the job's deadline and deletes the task upstream", async () => {
    const { clock, calls, run } = setup(
      Array.from({ length: 100 }, () => task(10)),
      { deadlineIn: 5_500 },
    );
    expect(await drive(clock, run())).toMatchObject({ type: "failed", error: { code: "timeout", status: 504 } });
    expect(calls.deletes).toEqual(["vt_1"]);
  });

  it("stops at once when the job is cancelled, and deletes the task upstream", async () => {
    const { clock, calls, ctx, run } = setup(Array.from({ length: 100 }, () => task(10)));
    const running = run();
    await clock.advance(2500);
    ctx.cancel("client");
    expect(await drive(clock, running)).toMatchObject({ type: "failed", error: { code: "cancelled" } });
    expect(calls.deletes).toEqual(["vt_1"]);
  });

  it("keeps the cancellation when the delete fails, and says so", async () => {
    const { clock, calls, warnings, ctx, run } = setup(
      Array.from({ length: 100 }, () => task(10)),
      { deleteFails: true },
    );
    const running = run();
    await clock.advance(1500);
    ctx.cancel("client");
    expect(await drive(clock, running)).toMatchObject({ type: "failed", error: { code: "cancelled" } });
    expect(calls.deletes).toEqual(["vt_1"]);
    expect(warnings).toEqual(["could not delete the upstream task of an abandoned video job"]);
  });

  it("lets a submission in flight finish when the job is cancelled, then deletes the task it made", async () => {
    let answer: () => void = () => undefined;
    const { clock, calls, ctx, run } = setup([task(10)], { createGate: new Promise((r) => (answer = r)) });
    const running = run();
    await clock.advance(10);
    expect(calls.creates).toBe(1);
    ctx.cancel("client");
    answer();
    expect(await drive(clock, running)).toMatchObject({ type: "failed", error: { code: "cancelled" } });
    expect(calls.deletes).toEqual(["vt_1"]);
  });
});
