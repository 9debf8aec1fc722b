import type { Dispatcher } from "undici";
import { joinUrl, postJson } from "../base/http.js";
import { validateCompletion } from "../base/validate.js";
import type { ChatResult, ProviderAdapter, ProviderRoute } from "../types.js";
import { parseOpenAIError } from "./errors.js";
import { toOpenAIRequest } from "./request.js";
import { fromOpenAIResponse } from "./response.js";

/**
 * An adapter for OpenAI and OpenAI-compatible servers (vLLM, Azure's v1 API, OpenRouter):
 * `POST {baseUrl}/chat/completions` with `Authorization: Bearer`.
 */
export function createOpenAIAdapter(route: ProviderRoute, dispatcher: Dispatcher): ProviderAdapter {
  const url = joinUrl(route.baseUrl, "/chat/completions");
  const headers: Record<string, string> = route.apiKey ? { authorization: `Bearer ${route.apiKey}` } : {};
  return {
    async chat(request, { signal }): Promise<ChatResult> {
      const response = await postJson(dispatcher, {
        url,
        headers,
        body: toOpenAIRequest(request, route.upstreamModel),
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseOpenAIError,
      });
      const completion = validateCompletion(
        fromOpenAIResponse(response.json, { model: route.upstreamModel, created: Math.floor(Date.now() / 1000) }),
        response.status,
      );
      return { completion, usage: completion.usage, httpStatus: response.status };
    },
  };
}
