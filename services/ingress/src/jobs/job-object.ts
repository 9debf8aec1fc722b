import {
  JOB_RETENTION_MS,
  toJobObject,
  type JobObject,
  type JobRecord,
  type VideoObject,
  type VideoStatus,
} from "@switchyard/contracts";
import { DEFAULT_VIDEO_SECONDS, DEFAULT_VIDEO_SIZE } from "./tracked-request.js";
import { renderImagesResponse, type ImageRendering } from "../artifacts/images-response.js";
import type { QueuePositions } from "./queue-position.js";

export interface RenderContext {
  /** How image results are rendered; `format` is chosen per job from its request. */
  readonly images: Omit<ImageRendering, "format">;
  readonly queuePosition: QueuePositions;
}

/** Epoch ms -> the unix seconds OpenAI objects carry. */
function seconds(ms: number): number;
function seconds(ms: number | null): number | null;
function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.floor(ms / 1000);
}

/**
 * The job API's view of a record. A completed job's `result` is what the synchronous endpoint
 * returns: the `chat.completion`, the images response (`b64_json`, or fresh signed links when
 * the request asked for `url`), or the video object.
 */
export async function renderJobObject(record: JobRecord, ctx: RenderContext): Promise<JobObject> {
  const [queuePosition, result] = await Promise.all([ctx.queuePosition(record), renderResult(record, ctx)]);
  return toJobObject(record, { queuePosition, result });
}

async function renderResult(record: JobRecord, ctx: RenderContext): Promise<Record<string, unknown> | null> {
  if (record.status !== "completed" || record.result === null) return null;
  switch (record.kind) {
    case "chat":
      return record.result;
    case "image":
      return renderImagesResponse(record.result, record.id, {
        ...ctx.images,
        format: record.request["response_format"] === "url" ? "url" : "b64_json",
      });
    case "video":
      return { ...toVideoObject(record) };
  }
}

const VIDEO_STATUS: Readonly<Record<JobRecord["status"], VideoStatus>> = {
  queued: "queued",
  in_progress: "in_progress",
  completed: "completed",
  failed: "failed",
  // The Videos API has no cancelled status: a cancelled video is a failed one with code `cancelled`.
  cancelled: "failed",
};

function videoError(record: JobRecord): VideoObject["error"] {
  if (record.status === "cancelled") return { code: "cancelled", message: "The video generation was cancelled." };
  if (record.status !== "failed") return null;
  return {
    code: record.error?.code ?? record.error?.type ?? "video_generation_failed",
    message: record.error?.message ?? "The video generation failed.",
  };
}

/** The OpenAI video object of a video job's record. */
export function toVideoObject(record: JobRecord): VideoObject {
  const { prompt, size, seconds: length } = record.request;
  return {
    id: record.id,
    object: "video",
    model: record.model,
    status: VIDEO_STATUS[record.status],
    progress: record.status === "completed" ? 100 : record.progress,
    created_at: seconds(record.createdAt),
    completed_at: seconds(record.finishedAt),
    // The MP4 and the record are written when the job completes and kept JOB_RETENTION_MS.
    expires_at:
      record.status === "completed" && record.finishedAt !== null
        ? seconds(record.finishedAt + JOB_RETENTION_MS)
        : null,
    prompt: typeof prompt === "string" ? prompt : "",
    size: typeof size === "string" ? size : DEFAULT_VIDEO_SIZE,
    seconds: typeof length === "string" || typeof length === "number" ? String(length) : DEFAULT_VIDEO_SECONDS,
    remixed_from_video_id: null,
    error: videoError(record),
  };
}
