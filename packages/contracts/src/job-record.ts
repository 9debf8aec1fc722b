import type { TerminalEvent } from "./events.js";
import { TERMINAL_JOB_STATUSES, type JobRecord, type JobStatus } from "./jobs.js";

/**
 * How a tracked job's status record (the KV value clients poll) moves: the worker starts it,
 * reports progress and finishes it, and the ingress applies an outcome stored earlier. Each is a
 * `change` for `StatusStore.modify`: it sees the record as it is now and returns the next one,
 * or null to leave it. The first terminal status wins: a cancel written by the ingress is never
 * overwritten, and nothing moves a finished record back to running.
 */

export const isFinished = (status: JobStatus): boolean => TERMINAL_JOB_STATUSES.includes(status);

// Records are copied with Object.assign, not `{ ...current, status }`: on Node 20 that spread
// is ~20× slower, and these run for every tracked job.

/** Picked up: `in_progress`, keeping the first start time across redeliveries. */
export function markStarted(now: number) {
  return (current: JobRecord): JobRecord | null => {
    if (isFinished(current.status)) return null;
    if (current.status === "in_progress" && current.startedAt !== null) return null;
    return Object.assign({}, current, { status: "in_progress" as const, startedAt: current.startedAt ?? now });
  };
}

/** Progress never goes backwards (two pollers, a late write), and the task id is kept once known. */
export function markProgress(update: { progress: number; upstreamTaskId?: string | null }) {
  return (current: JobRecord): JobRecord | null => {
    if (isFinished(current.status)) return null;
    const progress = Math.max(current.progress, Math.min(100, Math.max(0, update.progress)));
    const upstreamTaskId = update.upstreamTaskId ?? current.upstreamTaskId;
    if (
      progress === current.progress &&
      upstreamTaskId === current.upstreamTaskId &&
      current.status === "in_progress"
    ) {
      return null;
    }
    return Object.assign({}, current, { status: "in_progress" as const, progress, upstreamTaskId });
  };
}

/**
 * The record of a finished job. If a cancel got there first, the record stays cancelled and
 * only learns the usage the upstream charged anyway; the caller publishes `cancelled` then.
 */
export function markFinished(event: TerminalEvent) {
  return (current: JobRecord): JobRecord | null => {
    if (current.status === "cancelled") {
      if (current.usage !== null || event.usage === null) return null;
      return Object.assign({}, current, { usage: event.usage });
    }
    if (isFinished(current.status)) return null;
    return Object.assign({}, current, {
      status: event.type,
      progress: event.type === "completed" ? 100 : current.progress,
      finishedAt: event.at,
      startedAt: current.startedAt ?? event.at,
      result: event.type === "completed" ? event.result : null,
      error: event.type === "failed" ? event.error : null,
      usage: event.usage,
    });
  };
}
