import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { firstHeader } from "../api-key.js";
import { openAiErrorBody } from "../dialects/openai/errors.js";
import {
  createdVideoJson,
  parseVideoListQuery,
  parseVideoRequest,
  videoJson,
  videoListJson,
} from "../dialects/openai/videos.js";
import { applyFault, faultHeaders, pickFault, sendJson } from "../fault-effects.js";
import type { FaultPhase, FaultSpec } from "../faults.js";
import { imageRef, renderImage } from "../image-files.js";
import { buildMp4 } from "../mp4.js";
import { multipartBoundary, parseMultipart } from "../multipart.js";
import type { CompletionDeps } from "../serve-completion.js";
import { videoState, type VideoStore, type VideoTask } from "../video-tasks.js";
import { createErrorHandler } from "./error-handler.js";
import { openAiKeyRejection } from "./openai-key.js";

export interface VideoDeps extends CompletionDeps {
  videos: VideoStore;
  /** SIM_VIDEO_MS: how long a task takes unless a fault's `video_ms` says otherwise. */
  videoMs: number;
  /** Milliseconds since the epoch; tests pass a fake clock to walk a task through its life. */
  now: () => number;
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** The OpenAI Videos API (what the worker's `video-task` dialect speaks): an asynchronous task per video. */
export function openAiVideosRoutes(deps: VideoDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(createErrorHandler(openAiErrorBody));
    // The official clients send videos.create as multipart/form-data (for input_reference).
    app.addContentTypeParser("multipart/form-data", { parseAs: "buffer" }, (request, body, done) => {
      const boundary = multipartBoundary(request.headers["content-type"]);
      try {
        if (boundary === undefined) throw new Error("multipart/form-data without a boundary");
        done(null, parseMultipart(body as Buffer, boundary));
      } catch (error) {
        done(Object.assign(new Error((error as Error).message), { statusCode: 400 }), undefined);
      }
    });
    // Every (size, seconds) pair always gives the same file, so each is built once.
    const mp4s = new Map<string, Buffer>();

    /** Key check, then the fault and its shared effects; returns the fault when the caller should answer. */
    const guard = async (
      request: FastifyRequest,
      reply: FastifyReply,
      text: string,
      phase: FaultPhase | undefined,
    ): Promise<{ fault: FaultSpec | undefined } | undefined> => {
      let fault: FaultSpec | undefined;
      try {
        fault = pickFault(deps.faults, request, text, phase);
      } catch (error) {
        void reply.code(400).send(openAiErrorBody(400, { message: (error as Error).message }));
        return undefined;
      }
      if (await applyFault(deps, request, reply, fault, openAiErrorBody)) return undefined;
      return { fault };
    };

    const rejectKey = (request: FastifyRequest, reply: FastifyReply): boolean => {
      const rejection = openAiKeyRejection(deps.requireKey, request);
      if (rejection) void reply.code(rejection.status).send(rejection.body);
      return rejection !== undefined;
    };

    const notFound = (reply: FastifyReply, id: string): FastifyReply =>
      reply
        .code(404)
        .send(openAiErrorBody(404, { message: `Video with id '${id}' not found.`, code: "video_not_found" }));

    app.post("/v1/videos", async (request, reply) => {
      const parsed = parseVideoRequest(request.body);
      deps.stats.record("openai", "invalid" in parsed ? "" : parsed.spec.prompt);
      if (rejectKey(request, reply)) return reply;
      if ("invalid" in parsed) return reply.code(400).send(openAiErrorBody(400, { message: parsed.invalid }));
      const guarded = await guard(request, reply, parsed.spec.prompt, "create");
      if (!guarded) return reply;
      const { fault } = guarded;
      const { task } = deps.videos.create(parsed.spec, {
        idempotencyKey: firstHeader(request.headers["idempotency-key"]),
        durationMs: fault?.video_ms ?? deps.videoMs,
        failMessage: fault?.video_fail ? (fault.message ?? "The video could not be generated.") : undefined,
        nowMs: deps.now(),
      });
      // With truncate_after the task exists but its id never reaches the client: a lost response.
      return sendJson(reply, createdVideoJson(task), fault);
    });

    app.get("/v1/videos", async (request, reply) => {
      if (rejectKey(request, reply)) return reply;
      const query = parseVideoListQuery(request.query);
      if ("invalid" in query) return reply.code(400).send(openAiErrorBody(400, { message: query.invalid }));
      const guarded = await guard(request, reply, "", undefined);
      if (!guarded) return reply;
      return sendJson(reply, videoListJson(deps.videos.list(), query, deps.now()), guarded.fault);
    });

    app.get("/v1/videos/:id", async (request: IdRequest, reply) => {
      if (rejectKey(request, reply)) return reply;
      const task = deps.videos.get(request.params.id);
      if (!task) return notFound(reply, request.params.id);
      // Counted before the fault, like every other request: a failed poll still reached the upstream.
      deps.videos.recordPoll(task);
      const guarded = await guard(request, reply, task.prompt, "poll");
      if (!guarded) return reply;
      return sendJson(reply, videoJson(task, deps.now()), guarded.fault);
    });

    app.delete("/v1/videos/:id", async (request: IdRequest, reply) => {
      if (rejectKey(request, reply)) return reply;
      const task = deps.videos.get(request.params.id);
      if (!task) return notFound(reply, request.params.id);
      const guarded = await guard(request, reply, task.prompt, undefined);
      if (!guarded) return reply;
      deps.videos.delete(task.id);
      return sendJson(reply, { id: task.id, object: "video.deleted", deleted: true }, guarded.fault);
    });

    app.get("/v1/videos/:id/content", async (request: IdRequest, reply) => {
      if (rejectKey(request, reply)) return reply;
      const variant = (request.query as { variant?: string }).variant ?? "video";
      if (variant !== "video" && variant !== "thumbnail" && variant !== "spritesheet") {
        return reply.code(400).send(
          openAiErrorBody(400, {
            message: `Invalid variant '${variant}': expected video, thumbnail or spritesheet.`,
          }),
        );
      }
      const task = deps.videos.get(request.params.id);
      if (!task) return notFound(reply, request.params.id);
      const guarded = await guard(request, reply, task.prompt, "content");
      if (!guarded) return reply;
      const { status } = videoState(task, deps.now());
      if (status !== "completed") {
        const message =
          status === "failed"
            ? `Video '${task.id}' failed and has no content.`
            : `Video '${task.id}' is not ready: its content is available once the status is completed.`;
        return reply.code(404).headers(faultHeaders(guarded.fault)).send(openAiErrorBody(404, { message }));
      }
      const [type, bytes] = variant === "video" ? ["video/mp4", mp4For(task)] : ["image/png", stillFor(task, variant)];
      // truncate_after on a download: a 200 whose body is only the first N bytes.
      const cut = guarded.fault?.truncate_after;
      const body = cut === undefined ? bytes : bytes.subarray(0, Math.min(cut, bytes.length - 1));
      return reply.type(type).headers(faultHeaders(guarded.fault)).send(body);
    });

    function mp4For(task: VideoTask): Buffer {
      const key = `${task.size}/${task.seconds}`;
      let mp4 = mp4s.get(key);
      if (!mp4) {
        const [width = 720, height = 1280] = task.size.split("x").map(Number);
        mp4 = buildMp4({ width, height, seconds: Number(task.seconds) });
        mp4s.set(key, mp4);
      }
      return mp4;
    }
  };
}

/** A still of the video (its first frame, as far as anyone can tell): a PNG of the prompt's pattern. */
function stillFor(task: VideoTask, variant: "thumbnail" | "spritesheet"): Buffer {
  // A spritesheet is a strip of frames: the same pattern, four times as wide.
  const [width = 720, height = 1280] = task.size.split("x").map(Number);
  const size = variant === "spritesheet" ? `${width * 4}x${height}` : task.size;
  return renderImage(imageRef(task.prompt, 0, size, false));
}
