import { z } from "zod";

export const VideoSize = z.enum(["720x1280", "1280x720", "1024x1792", "1792x1024"]);
export const VideoSeconds = z.enum(["4", "8", "12"]);

/**
 * `POST /v1/videos` fields, from JSON or multipart form fields (where every value is a
 * string: `seconds` is a string in OpenAI's API anyway). `input_reference` is a file part
 * handled by the route, not part of this schema.
 */
export const VideoCreateRequest = z.looseObject({
  prompt: z.string().min(1).max(32_000),
  model: z.string().min(1).optional(),
  size: VideoSize.optional(),
  seconds: VideoSeconds.optional(),
});
export type VideoCreateRequest = z.infer<typeof VideoCreateRequest>;

export type VideoStatus = "queued" | "in_progress" | "completed" | "failed";

/** The OpenAI video object. */
export interface VideoObject {
  id: string;
  object: "video";
  model: string;
  status: VideoStatus;
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt: string;
  size: string;
  seconds: string;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}
