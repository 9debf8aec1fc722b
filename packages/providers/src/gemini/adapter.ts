import type { Dispatcher } from "undici";
import { joinUrl, postJson } from "../base/http.js";
import { validateCompletion } from "../base/validate.js";
import type { ChatResult, ProviderAdapter, ProviderRoute } from "../types.js";
import { parseGeminiError } from "./errors.js";
import { toGeminiRequest } from "./request.js";
import { fromGeminiResponse } from "./response.js";

/**
 * An adapter for the Gemini API: `POST {baseUrl}/v1beta/models/{model}:generateContent` with
 * `x-goog-api-key` (a header rather than `?key=`, so the key stays out of URLs and logs).
 * The route's base URL is the host (`https://generativelanguage.googleapis.com`).
 */
export function createGeminiAdapter(route: ProviderRoute, dispatcher: Dispatcher): ProviderAdapter {
  const url = joinUrl(route.baseUrl, `/v1beta/models/${encodeURIComponent(route.upstreamModel)}:generateContent`);
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
  };
}
