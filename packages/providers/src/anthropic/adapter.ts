import type { Dispatcher } from "undici";
import { joinUrl, postJson } from "../base/http.js";
import { streamChat } from "../base/stream.js";
import { validateCompletion } from "../base/validate.js";
import type { ChatProviderAdapter, ChatResult, ProviderRoute } from "../types.js";
import { parseAnthropicError } from "./errors.js";
import { toAnthropicRequest, toAnthropicStreamRequest } from "./request.js";
import { createAnthropicStreamDecoder, fromAnthropicResponse } from "./response.js";

/** The API version whose request and response shapes `request.ts` and `response.ts` speak. */
export const ANTHROPIC_VERSION = "2023-06-01";

/**
 * An adapter for the Anthropic Messages API: `POST {baseUrl}/v1/messages` (plain or streamed)
 * with `x-api-key` and `anthropic-version`. The route's base URL is the host (`https://api.anthropic.com`).
 */
export function createAnthropicAdapter(route: ProviderRoute, dispatcher: Dispatcher): ChatProviderAdapter {
  const url = joinUrl(route.baseUrl, "/v1/messages");
  const headers: Record<string, string> = {
    "anthropic-version": ANTHROPIC_VERSION,
    ...(route.apiKey && { "x-api-key": route.apiKey }),
  };
  return {
    async chat(request, { signal }): Promise<ChatResult> {
      const response = await postJson(dispatcher, {
        url,
        headers,
        body: toAnthropicRequest(request, route.upstreamModel),
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseAnthropicError,
      });
      const completion = validateCompletion(
        fromAnthropicResponse(response.json, { model: route.upstreamModel, created: Math.floor(Date.now() / 1000) }),
        response.status,
      );
      return { completion, usage: completion.usage, httpStatus: response.status };
    },

    chatStream(request, { signal }) {
      return streamChat(
        dispatcher,
        {
          url,
          headers,
          body: toAnthropicStreamRequest(request, route.upstreamModel),
          timeoutMs: route.timeoutMs,
          signal,
          parseErrorDetail: parseAnthropicError,
        },
        createAnthropicStreamDecoder(),
      );
    },
  };
}
