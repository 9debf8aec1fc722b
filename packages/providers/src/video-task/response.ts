import { UnusableOutputError } from "@switchyard/contracts";
import { UpstreamHttpError } from "../base/classify.js";
import type { UpstreamVideoStatus, VideoTaskState } from "../types.js";
import { videoTaskError } from "./errors.js";

const STATUSES: readonly string[] = ["queued", "in_progress", "completed", "failed"] satisfies UpstreamVideoStatus[];

/**
 * Maps an OpenAI video object (`POST /videos`, `GET /videos/{id}`) to a `VideoTaskState`:
 * `seconds`, a string on the wire, becomes a number; `progress` is kept within 0-100 (100 once
 * completed); `error` is set only for a failed task. An object without an id or with a status
 * outside the four the API documents is an `UnusableOutputError`: the worker must not guess
 * whether a task it cannot read has finished.
 */
export function fromVideoObject(body: unknown, httpStatus = 200): VideoTaskState {
  const raw = (typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >;
  const unusable = (message: string) =>
    new UnusableOutputError(message, { cause: new UpstreamHttpError(httpStatus, JSON.stringify(body) ?? "") });
  if (typeof raw.id !== "string" || raw.id === "") throw unusable("upstream returned a video object without an id");
  if (typeof raw.status !== "string" || !STATUSES.includes(raw.status)) {
    throw unusable("upstream returned a video object with an unknown status");
  }
  const status = raw.status as UpstreamVideoStatus;
  const progress = typeof raw.progress === "number" && Number.isFinite(raw.progress) ? raw.progress : 0;
  return {
    taskId: raw.id,
    status,
    progress: status === "completed" ? 100 : Math.min(100, Math.max(0, progress)),
    error: status === "failed" ? videoTaskError(raw.error) : null,
    seconds: seconds(raw.seconds),
  };
}

/** `"8"` (the API's string) or `8` → 8; anything else is unknown. */
function seconds(value: unknown): number | null {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : null;
}
