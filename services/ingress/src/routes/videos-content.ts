import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { BrokerError, InvalidRequestError, VideoResult } from "@switchyard/contracts";
import { fromStore, getRecordOr404, type TrackedContext } from "../jobs/tracked.js";
import { parseRange } from "./videos-range.js";
import { videoIdParam, videoNotFound, type VideoParams } from "./videos-ids.js";

interface ContentRequest extends VideoParams {
  Querystring: { variant?: string };
}

const VARIANTS = ["video", "thumbnail", "spritesheet"];

/** A completed video whose MP4 is gone (deleted meanwhile, or expired from the object store). */
function contentGone(id: string): BrokerError {
  return new BrokerError(`The content of video '${id}' is no longer available.`, {
    status: 404,
    code: "content_not_found",
    param: "id",
  });
}

/**
 * The bytes from `start` to `end` (inclusive) of an object stream, chunk by chunk: the chunks
 * before the range are read and dropped, and the object stream is cancelled once the range is
 * sent (or the client left). A stream that ends early is an error, so the response is cut off
 * rather than left waiting for bytes its Content-Length promised.
 */
export async function* byteRange(
  source: ReadableStream<Uint8Array>,
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  const reader = source.getReader();
  let offset = 0;
  try {
    while (offset <= end) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stored object ended at byte ${offset}, before byte ${end}`);
      const chunkStart = offset;
      offset += value.length;
      if (offset <= start) continue;
      yield value.subarray(Math.max(0, start - chunkStart), Math.min(value.length, end + 1 - chunkStart));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * `GET /v1/videos/{id}/content`: the MP4 from the object store, whole or one byte range (206),
 * streamed. Before the video is completed the answer is 404, as OpenAI's is.
 */
export function registerVideoContentRoute(app: FastifyInstance, ctx: TrackedContext): void {
  app.get<ContentRequest>("/v1/videos/:id/content", async (request, reply) => {
    const id = videoIdParam(request.params.id);
    const variant = request.query.variant ?? "video";
    if (variant !== "video") {
      throw new InvalidRequestError(
        VARIANTS.includes(variant)
          ? `The ${variant} variant is not available; use variant=video.`
          : `Invalid value for 'variant': expected one of ${VARIANTS.join(", ")}.`,
        { param: "variant", code: "invalid_value" },
      );
    }
    const record = await getRecordOr404(ctx, request.tenant, id, videoNotFound);
    if (record.status !== "completed") {
      throw new BrokerError(`Video '${id}' is not ready: its status is ${record.status}.`, {
        status: 404,
        code: "video_not_ready",
        param: "id",
      });
    }
    // Only the job's own files are served: a result naming another job's (a worker bug) must not leak it.
    const result = VideoResult.safeParse(record.result);
    const own = result.success && result.data.artifact.startsWith(`${id}/`);
    const info = own ? await fromStore(() => ctx.artifacts.info(result.data.artifact)) : null;
    if (!result.success || !info) throw contentGone(id);

    const size = info.bytes;
    const range = parseRange(request.headers.range, size);
    void reply.header("accept-ranges", "bytes");
    if (range === "unsatisfiable") {
      void reply.header("content-range", `bytes */${size}`);
      throw new BrokerError(`The requested range is outside the ${size} bytes of the video.`, {
        status: 416,
        code: "range_not_satisfiable",
        param: "range",
      });
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    // HEAD gets the headers only: Fastify would otherwise read the whole object to discard it.
    const bodyless = request.method === "HEAD" || end < start;
    const source = bodyless ? null : await fromStore(() => ctx.artifacts.getStream(result.data.artifact));
    if (!bodyless && !source) throw contentGone(id);

    void reply.type(result.data.contentType || "video/mp4").header("content-length", String(end - start + 1));
    if (range) void reply.code(206).header("content-range", `bytes ${start}-${end}/${size}`);
    return reply.send(Readable.from(source ? byteRange(source, start, end) : []));
  });
}
