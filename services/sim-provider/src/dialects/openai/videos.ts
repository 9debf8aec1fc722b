import { z } from "zod";
import { describeIssues } from "../../issues.js";
import { MultipartForm } from "../../multipart.js";
import { videoState, type VideoSpec, type VideoTask } from "../../video-tasks.js";

/** Sora's sizes, plus the 1080p ones of sora-2-pro. */
const VideoSize = z.enum(["720x1280", "1280x720", "1024x1792", "1792x1024", "1080x1920", "1920x1080"]);
const VideoSeconds = z.enum(["4", "8", "12"]);

// JSON may carry seconds as a number; multipart fields are strings anyway.
const VideoRequest = z.looseObject({
  prompt: z.string().min(1).max(32_000),
  model: z.string().min(1).nullable().optional(),
  size: VideoSize.nullable().optional(),
  seconds: z
    .union([VideoSeconds, z.literal([4, 8, 12]).transform(String)])
    .nullable()
    .optional(),
});

export interface ParsedVideoRequest {
  spec: VideoSpec;
  /** Bytes of the `input_reference` file part, if one was sent. */
  inputReferenceBytes: number | undefined;
}

/** `POST /v1/videos` from a JSON body or multipart form fields, with OpenAI's defaults. */
export function parseVideoRequest(body: unknown): ParsedVideoRequest | { invalid: string } {
  const fields = body instanceof MultipartForm ? body.fields : body;
  const parsed = VideoRequest.safeParse(fields);
  if (!parsed.success) return { invalid: describeIssues(parsed.error) };
  const request = parsed.data;
  const reference = body instanceof MultipartForm ? body.files.find((f) => f.name === "input_reference") : undefined;
  return {
    spec: {
      model: request.model ?? "sora-2",
      prompt: request.prompt,
      size: request.size ?? "720x1280",
      seconds: request.seconds ?? "4",
    },
    inputReferenceBytes: reference?.bytes.length,
  };
}

/** Download links of a finished video last this long, as OpenAI's do. */
const EXPIRES_AFTER_S = 3600;

/** The OpenAI video object as the task stands at `nowMs`. */
export function videoJson(task: VideoTask, nowMs: number): unknown {
  const state = videoState(task, nowMs);
  const completedAt = state.status === "completed" && state.endedMs !== null ? seconds(state.endedMs) : null;
  return {
    id: task.id,
    object: "video",
    model: task.model,
    status: state.status,
    progress: state.progress,
    created_at: seconds(task.createdMs),
    completed_at: completedAt,
    expires_at: completedAt === null ? null : completedAt + EXPIRES_AFTER_S,
    prompt: task.prompt,
    size: task.size,
    seconds: task.seconds,
    remixed_from_video_id: null,
    error:
      state.status === "failed"
        ? { code: "video_generation_failed", message: task.failMessage ?? "Video generation failed." }
        : null,
  };
}

/** The body of the create response: always the task as it was created. */
export function createdVideoJson(task: VideoTask): unknown {
  return videoJson(task, task.createdMs);
}

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).optional(),
  order: z.enum(["asc", "desc"]).default("desc"),
});
export type VideoListQuery = z.infer<typeof ListQuery>;

export function parseVideoListQuery(query: unknown): VideoListQuery | { invalid: string } {
  const parsed = ListQuery.safeParse(query);
  return parsed.success ? parsed.data : { invalid: describeIssues(parsed.error) };
}

/** `GET /v1/videos`: a cursor page of live tasks (given oldest first), newest first unless `order=asc`. */
export function videoListJson(tasks: VideoTask[], query: VideoListQuery, nowMs: number): unknown {
  const { limit, after, order } = query;
  const ordered = order === "asc" ? tasks : [...tasks].reverse();
  const start = after === undefined ? 0 : ordered.findIndex((task) => task.id === after) + 1;
  const page = ordered.slice(start, start + limit);
  return {
    object: "list",
    data: page.map((task) => videoJson(task, nowMs)),
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
