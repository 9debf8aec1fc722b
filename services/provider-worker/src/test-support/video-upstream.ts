import { UpstreamRejectedError } from "@switchyard/contracts";
import type { ProviderAdapter, VideoCreateOptions, VideoTaskState } from "@switchyard/providers";

/** The bytes of the "MP4" every finished fake task serves. */
export const FAKE_MP4 = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32]);

export interface VideoUpstream {
  readonly creates: Array<{ prompt: unknown; options: Omit<VideoCreateOptions, "signal"> }>;
  readonly polls: string[];
  /** Tasks deleted through `deleteVideoTask`, in order. */
  readonly deletes: string[];
  /** An adapter onto this upstream; `hangAfterPolls` makes polls after that many wait for their signal. */
  adapter(options?: { hangAfterPolls?: number }): ProviderAdapter & { crash(): void };
}

/**
 * A video task API in memory, shared by every adapter made from it (as one upstream is shared
 * by two worker processes): a task gains 25 % per poll, honours Idempotency-Key, and serves
 * a few bytes once done.
 */
export function fakeVideoUpstream(
  options: { seconds?: number; failWith?: { code: string; message: string } } = {},
): VideoUpstream {
  const tasks = new Map<string, { polls: number }>();
  const byKey = new Map<string, string>();
  const creates: VideoUpstream["creates"] = [];
  const polls: string[] = [];
  const deletes: string[] = [];
  const state = (taskId: string, polls: number): VideoTaskState => {
    const progress = Math.min(100, polls * 25);
    const done = progress >= 100;
    if (done && options.failWith) return { taskId, status: "failed", progress, error: options.failWith, seconds: null };
    return {
      taskId,
      status: done ? "completed" : polls === 0 ? "queued" : "in_progress",
      progress,
      error: null,
      seconds: options.seconds ?? null,
    };
  };
  return {
    creates,
    polls,
    deletes,
    adapter: ({ hangAfterPolls } = {}) => {
      let crashed = false;
      let mine = 0;
      const hangs = new Set<() => void>();
      const guard = () => {
        if (crashed) throw new UpstreamRejectedError("adapter of a crashed worker", 400);
      };
      return {
        crash: () => {
          crashed = true;
          for (const release of hangs) release();
        },
        createVideoTask: async (request, { signal: _signal, ...rest }) => {
          guard();
          creates.push({ prompt: request.prompt, options: rest });
          const existing = byKey.get(rest.idempotencyKey);
          const taskId = existing ?? `vt_${creates.length}`;
          if (!existing) {
            byKey.set(rest.idempotencyKey, taskId);
            tasks.set(taskId, { polls: 0 });
          }
          return state(taskId, tasks.get(taskId)?.polls ?? 0);
        },
        getVideoTask: async (taskId, { signal }) => {
          guard();
          if (hangAfterPolls !== undefined && mine >= hangAfterPolls) {
            await new Promise<void>((resolve) => {
              hangs.add(resolve);
              signal.addEventListener("abort", () => resolve(), { once: true });
            });
            guard();
            throw new Error("aborted");
          }
          mine++;
          polls.push(taskId);
          const task = tasks.get(taskId);
          if (!task) throw new UpstreamRejectedError("no such task", 404);
          task.polls++;
          return state(taskId, task.polls);
        },
        downloadVideo: async () => {
          guard();
          return { bytes: FAKE_MP4, contentType: "video/mp4" };
        },
        deleteVideoTask: async (taskId) => {
          guard();
          deletes.push(taskId);
          tasks.delete(taskId);
        },
      };
    },
  };
}
