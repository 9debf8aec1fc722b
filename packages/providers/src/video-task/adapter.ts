import type { Dispatcher } from "undici";
import { getUpstreamStatus } from "../base/classify.js";
import { getJson, headerValue, joinUrl, send, sendJson } from "../base/http.js";
import { validateVideoBytes } from "../base/validate.js";
import type { ProviderRoute, VideoTaskProviderAdapter } from "../types.js";
import { parseVideoTaskError } from "./errors.js";
import { toVideoMultipart, toVideoRequest } from "./request.js";
import { fromVideoObject } from "./response.js";

/** A 12-second 1080p video is tens of MiB; this bounds a download that is not one. */
const MAX_VIDEO_BYTES = 512 * 1024 * 1024;

/**
 * An adapter for the OpenAI Videos API and servers that copy it: `POST {baseUrl}/videos`
 * starts a task (JSON, or multipart/form-data when a reference image goes with it), `GET
 * {baseUrl}/videos/{id}` reads its state, and `GET {baseUrl}/videos/{id}/content` downloads
 * the MP4, `DELETE {baseUrl}/videos/{id}` removes it. Each create carries `Idempotency-Key`,
 * so a job submitted twice names one task.
 */
export function createVideoTaskAdapter(route: ProviderRoute, dispatcher: Dispatcher): VideoTaskProviderAdapter {
  const videosUrl = joinUrl(route.baseUrl, "/videos");
  const auth: Record<string, string> = route.apiKey ? { authorization: `Bearer ${route.apiKey}` } : {};
  const videoUrl = (taskId: string, suffix = "") =>
    joinUrl(route.baseUrl, `/videos/${encodeURIComponent(taskId)}${suffix}`);

  return {
    async createVideoTask(request, { signal, idempotencyKey, inputReference }) {
      const fields = toVideoRequest(request, route.upstreamModel);
      const encoded = inputReference
        ? toVideoMultipart(fields, inputReference)
        : { contentType: "application/json", body: JSON.stringify(fields) };
      const response = await sendJson(dispatcher, {
        url: videosUrl,
        method: "POST",
        headers: { ...auth, "content-type": encoded.contentType, "idempotency-key": idempotencyKey },
        body: encoded.body,
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseVideoTaskError,
      });
      return fromVideoObject(response.json, response.status);
    },

    async getVideoTask(taskId, { signal }) {
      const response = await getJson(dispatcher, {
        url: videoUrl(taskId),
        headers: auth,
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseVideoTaskError,
      });
      return fromVideoObject(response.json, response.status);
    },

    async downloadVideo(taskId, { signal }) {
      const response = await send(dispatcher, {
        url: videoUrl(taskId, "/content"),
        method: "GET",
        headers: { ...auth, accept: "video/mp4, */*" },
        body: undefined,
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseVideoTaskError,
        maxBytes: MAX_VIDEO_BYTES,
      });
      validateVideoBytes(response.bytes, response.status);
      const contentType = headerValue(response.headers, "content-type")?.split(";")[0]?.trim();
      return { bytes: response.bytes, contentType: contentType?.startsWith("video/") ? contentType : "video/mp4" };
    },

    async deleteVideoTask(taskId, { signal }) {
      try {
        await send(dispatcher, {
          url: videoUrl(taskId),
          method: "DELETE",
          headers: auth,
          body: undefined,
          timeoutMs: route.timeoutMs,
          signal,
          parseErrorDetail: parseVideoTaskError,
        });
      } catch (error) {
        // Gone already (deleted before, or forgotten): what the delete was for.
        if (getUpstreamStatus(error) === 404) return;
        throw error;
      }
    },
  };
}
