import type { Dispatcher } from "undici";
import { joinUrl, postJson } from "../base/http.js";
import { streamChat } from "../base/stream.js";
import { validateCompletion } from "../base/validate.js";
import type { ChatProviderAdapter, ChatResult, ProviderRoute } from "../types.js";
import { parseGeminiError } from "./errors.js";
import { toGeminiRequest } from "./request.js";
import { createGeminiStreamDecoder, fromGeminiResponse } from "./response.js";

/**
 * An adapter for the Gemini API: `POST {baseUrl}/v1beta/models/{model}:generateContent`, or
 * `:streamGenerateContent?alt=sse` for a stream (without `alt=sse` Gemini streams a JSON array), with
 * `x-goog-api-key` (a header rather than `?key=`, so the key stays out of URLs and logs).
 * The route's base URL is the host (`https://generativelanguage.googleapis.com`).
 */
export function createGeminiAdapter(route: ProviderRoute, dispatcher: Dispatcher): ChatProviderAdapter {
  const model = `/v1beta/models/${encodeURIComponent(route.upstreamModel)}`;
  const url = joinUrl(route.baseUrl, `${model}:generateContent`);
  const streamUrl = joinUrl(route.baseUrl, `${model}:streamGenerateContent?alt=sse`);
  const headers: Record<string, string> = route.apiKey ? { "x-goog-api-key": route.apiKey } : {};
  return {
    async chat(request, { signal }): Promise<ChatResult> {
      const response = await postJson(dispatcher, {
        url,
        headers,
        body: toGeminiRequest(request),
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseGeminiError,
      });
      const completion = validateCompletion(
        fromGeminiResponse(response.json, { model: route.upstreamModel, created: Math.floor(Date.now() / 1000) }),
        response.status,
      );
      return { completion, usage: completion.usage, httpStatus: response.status };
    },

    chatStream(request, { signal }) {
      return streamChat(
        dispatcher,
        {
          url: streamUrl,
          headers,
          body: toGeminiRequest(request),
          timeoutMs: route.timeoutMs,
          signal,
          parseErrorDetail: parseGeminiError,
        },
        createGeminiStreamDecoder(),
      );
    },
  };
}
