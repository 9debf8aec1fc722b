import { safeCode } from "../base/classify.js";

export { parseOpenAIError as parseVideoTaskError } from "../openai/errors.js";

/** Upstream messages are shown to the client as the job's error; a long one is cut here. */
const MAX_MESSAGE_LENGTH = 500;

/**
 * The `error` of a failed video object (`{code, message}`), safe to put in a job's record: a
 * short plain code (or `video_generation_failed`) and the message, bounded in length.
 */
export function videoTaskError(raw: unknown): { code: string; message: string } {
  const error = (typeof raw === "object" && raw !== null ? raw : {}) as { code?: unknown; message?: unknown };
  const message = typeof error.message === "string" && error.message.trim() !== "" ? error.message.trim() : undefined;
  return {
    code: safeCode(error.code) ?? "video_generation_failed",
    message: message ? message.slice(0, MAX_MESSAGE_LENGTH) : "The upstream could not generate the video.",
  };
}
