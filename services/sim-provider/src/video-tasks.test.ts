import { describe, expect, it } from "vitest";
import { createVideoStore, videoState, type CreateOptions, type VideoSpec } from "./video-tasks.js";

const spec = (prompt: string): VideoSpec => ({ model: "sora-2", prompt, size: "720x1280", seconds: "4" });
const T0 = 1_700_000_000_000;
const options = (extra: Partial<CreateOptions> = {}): CreateOptions => ({
  idempotencyKey: undefined,
  durationMs: 3000,
  failMessage: undefined,
  nowMs: T0,
  ...extra,
});

describe("video tasks", () => {
  it("walk from queued through in_progress to completed by the clock alone", () => {
    const { task } = createVideoStore().create(spec("a fox"), options());
    expect(task.id).toMatch(/^video_[A-Za-z0-9]{32}$/);
    const at = (ms: number) => videoState(task, T0 + ms);
    expect(at(0)).toEqual({ status: "queued", progress: 0, endedMs: null });
    expect(at(299)).toMatchObject({ status: "queued" });
    expect(at(300)).toEqual({ status: "in_progress", progress: 10, endedMs: null });
    expect(at(1500)).toMatchObject({ status: "in_progress", progress: 50 });
    expect(at(2999)).toMatchObject({ status: "in_progress", progress: 99 });
    expect(at(3000)).toEqual({ status: "completed", progress: 100, endedMs: T0 + 3000 });
    expect(at(60_000)).toMatchObject({ status: "completed" });
  });

  it("queue at most 500 ms, and a zero-length task is done at once", () => {
    const videos = createVideoStore();
    const long = videos.create(spec("x"), options({ durationMs: 60_000 })).task;
    expect(videoState(long, T0 + 499).status).toBe("queued");
    expect(videoState(long, T0 + 500)).toMatchObject({ status: "in_progress", progress: 1 });
    const instant = videos.create(spec("y"), options({ durationMs: 0 })).task;
    expect(videoState(instant, T0).status).toBe("completed");
  });

  it("end failed when told to", () => {
    const { task } = createVideoStore().create(spec("x"), options({ failMessage: "nope" }));
    expect(videoState(task, T0 + 1000).status).toBe("in_progress");
    expect(videoState(task, T0 + 3000)).toEqual({ status: "failed", progress: 99, endedMs: T0 + 3000 });
  });

  it("answer a repeated idempotency key with the same task, counted once", () => {
    const videos = createVideoStore();
    const first = videos.create(spec("a t-1"), options({ idempotencyKey: "k" }));
    const again = videos.create(spec("a t-1"), options({ idempotencyKey: "k", nowMs: T0 + 10 }));
    const other = videos.create(spec("a t-1"), options({ idempotencyKey: "k2" }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ task: first.task, created: false });
    expect(other.task.id).not.toBe(first.task.id);
    expect(videos.createdCount()).toBe(2);
    expect(videos.count("t-1")).toEqual({ created: 2, polls: 0, deleted: 0 });
  });

  it("count polls per match, list, delete, and reset the counters but keep the tasks", () => {
    const videos = createVideoStore();
    const a = videos.create(spec("m-a one"), options()).task;
    const b = videos.create(spec("m-b two"), options()).task;
    videos.recordPoll(a);
    videos.recordPoll(a);
    videos.recordPoll(b);
    expect(videos.count("m-a")).toEqual({ created: 1, polls: 2, deleted: 0 });
    expect(videos.count("")).toEqual({ created: 2, polls: 3, deleted: 0 });
    expect(videos.list().map((t) => t.id)).toEqual([a.id, b.id]);

    expect(videos.delete(a.id)).toBe(true);
    expect(videos.delete(a.id)).toBe(false);
    expect(videos.get(a.id)).toBeUndefined();
    expect(videos.list().map((t) => t.id)).toEqual([b.id]);
    expect(videos.count("m-a")).toEqual({ created: 1, polls: 2, deleted: 1 });
    expect(videos.count("m-b")).toEqual({ created: 1, polls: 1, deleted: 0 });

    videos.resetCounters();
    expect(videos.createdCount()).toBe(0);
    expect(videos.count("")).toEqual({ created: 0, polls: 0, deleted: 0 });
    expect(videos.get(b.id)).toBe(b);
  });
});
