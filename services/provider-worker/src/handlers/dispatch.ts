import type { Model } from "@switchyard/catalog";
import type { JobSubmitted } from "@switchyard/contracts";
import type { JobHandler } from "../job-context.js";
import { createChatHandler } from "./chat.js";
import { createChatStreamHandler, type ChatStreamDeps } from "./chat-stream.js";
import { createImageHandler, type ImageDeps } from "./image.js";
import { createVideoHandler, type VideoHandlerDeps } from "./video.js";
import { releaseSavedTask } from "./video-release.js";

export type HandlerDeps = ChatStreamDeps & ImageDeps & VideoHandlerDeps;

/** The handler of each kind of job; `jobs.<family>.<kind>` may carry any of them. */
export function createHandlers(deps: HandlerDeps): (job: JobSubmitted) => JobHandler {
  const chat = createChatHandler(deps);
  const chatStream = createChatStreamHandler(deps);
  const image = createImageHandler(deps);
  const video = createVideoHandler(deps);
  return (job) => {
    switch (job.kind) {
      case "chat":
        return job.stream === true ? chatStream : chat;
      case "image":
        return image;
      case "video":
        return video;
    }
  };
}

/**
 * What a job that ends without reaching its handler (cancelled, out of time or of deliveries
 * when a delivery takes it) must still undo of an earlier delivery's work upstream: only a
 * video's submitted task outlives the delivery that made it.
 */
export function createAbandonment(deps: HandlerDeps): (job: JobSubmitted, model: Model | undefined) => Promise<void> {
  return async (job, model) => {
    if (job.kind === "video") await releaseSavedTask(job, model, deps);
  };
}
