import { randomId } from "./ids.js";

/** What a create request asks for, after validation and defaults. */
export interface VideoSpec {
  model: string;
  prompt: string;
  size: string;
  /** As OpenAI reports it: a string. */
  seconds: string;
}

export interface VideoTask extends VideoSpec {
  id: string;
  createdMs: number;
  /** From creation until the task ends (completed or failed). */
  durationMs: number;
  /** Set when the task is to end `failed`: its error message. */
  failMessage: string | undefined;
  deleted: boolean;
  /** Status polls since the counters were last reset. */
  polls: number;
  /** Created since the counters were last reset. */
  counted: boolean;
}

export type VideoStatus = "queued" | "in_progress" | "completed" | "failed";

export interface VideoState {
  status: VideoStatus;
  progress: number;
  /** When the task ended, if it has. */
  endedMs: number | null;
}

export interface VideoStore {
  /**
   * A new task, or with an idempotency key already seen the task that key created (`created`
   * false): a retried submission must not start a second upstream job.
   */
  create(spec: VideoSpec, options: CreateOptions): { task: VideoTask; created: boolean };
  /** The task, unless unknown or deleted. */
  get(id: string): VideoTask | undefined;
  /** Live tasks, oldest first. */
  list(): VideoTask[];
  delete(id: string): boolean;
  recordPoll(task: VideoTask): void;
  /** Tasks really created (not idempotent repeats) since the counters were last reset. */
  createdCount(): number;
  /** Created tasks whose prompt contains the substring, the status polls for them, and how many of them were deleted. */
  count(substring: string): { created: number; polls: number; deleted: number };
  /** Zeroes the counters; tasks stay, so clients polling them are not disturbed. */
  resetCounters(): void;
}

export interface CreateOptions {
  idempotencyKey: string | undefined;
  durationMs: number;
  failMessage: string | undefined;
  nowMs: number;
}

/** Tasks kept in memory; beyond this the oldest are forgotten (and their counts with them). */
const MAX_TASKS = 100_000;
/** Share of a task's time it spends queued before it starts, at most QUEUED_MAX_MS. */
const QUEUED_SHARE = 0.1;
const QUEUED_MAX_MS = 500;

/**
 * Video tasks as plain records. Status and progress are computed from the clock when asked
 * (see `videoState`), so idle tasks cost nothing: no timers, however many are running.
 *
 * @example
 * const videos = createVideoStore();
 * const { task } = videos.create(spec, { idempotencyKey: "k1", durationMs: 3000, failMessage: undefined, nowMs: Date.now() });
 */
export function createVideoStore(): VideoStore {
  const tasks = new Map<string, VideoTask>();
  const byKey = new Map<string, string>();
  const keyOf = new Map<string, string>();
  let created = 0;

  const forgetOldest = (): void => {
    const oldest = tasks.keys().next();
    if (oldest.done) return;
    tasks.delete(oldest.value);
    const key = keyOf.get(oldest.value);
    if (key !== undefined) byKey.delete(key);
    keyOf.delete(oldest.value);
  };

  return {
    create(spec, options) {
      const existing = options.idempotencyKey === undefined ? undefined : byKey.get(options.idempotencyKey);
      const known = existing === undefined ? undefined : tasks.get(existing);
      if (known) return { task: known, created: false };
      const task: VideoTask = {
        ...spec,
        id: randomId("video_", 32),
        createdMs: options.nowMs,
        durationMs: options.durationMs,
        failMessage: options.failMessage,
        deleted: false,
        polls: 0,
        counted: true,
      };
      tasks.set(task.id, task);
      if (options.idempotencyKey !== undefined) {
        byKey.set(options.idempotencyKey, task.id);
        keyOf.set(task.id, options.idempotencyKey);
      }
      created += 1;
      if (tasks.size > MAX_TASKS) forgetOldest();
      return { task, created: true };
    },
    get(id) {
      const task = tasks.get(id);
      return task && !task.deleted ? task : undefined;
    },
    list: () => [...tasks.values()].filter((task) => !task.deleted),
    delete(id) {
      const task = tasks.get(id);
      if (!task || task.deleted) return false;
      // Kept as a tombstone, so the counters still see it.
      task.deleted = true;
      return true;
    },
    recordPoll(task) {
      task.polls += 1;
    },
    createdCount: () => created,
    count(substring) {
      let matched = 0;
      let polls = 0;
      let deleted = 0;
      for (const task of tasks.values()) {
        if (!task.prompt.includes(substring)) continue;
        if (task.counted) {
          matched += 1;
          if (task.deleted) deleted += 1;
        }
        polls += task.polls;
      }
      return { created: matched, polls, deleted };
    },
    resetCounters() {
      created = 0;
      for (const task of tasks.values()) {
        task.counted = false;
        task.polls = 0;
      }
    },
  };
}

/**
 * Where a task stands at `nowMs`: queued for the first tenth of its time (at most 500 ms), then
 * in progress with progress rising with the elapsed time, then completed (or failed, with the
 * progress it had reached) once its duration has passed.
 */
export function videoState(task: VideoTask, nowMs: number): VideoState {
  const elapsed = nowMs - task.createdMs;
  const duration = task.durationMs;
  if (elapsed >= duration) {
    const endedMs = task.createdMs + duration;
    if (task.failMessage === undefined) return { status: "completed", progress: 100, endedMs };
    return { status: "failed", progress: duration === 0 ? 0 : 99, endedMs };
  }
  if (elapsed < Math.min(QUEUED_MAX_MS, duration * QUEUED_SHARE))
    return { status: "queued", progress: 0, endedMs: null };
  return {
    status: "in_progress",
    progress: Math.min(99, Math.max(1, Math.floor((100 * elapsed) / duration))),
    endedMs: null,
  };
}
