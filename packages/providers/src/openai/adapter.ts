import type { Dispatcher } from "undici";
import { headerValue, joinUrl, postJson, send } from "../base/http.js";
import { streamChat } from "../base/stream.js";
import { validateCompletion, validateImageBytes } from "../base/validate.js";
import type {
  ChatOptions,
  ChatProviderAdapter,
  ChatResult,
  GeneratedImage,
  ImagesGenerationResult,
  ImagesProviderAdapter,
  ProviderRoute,
} from "../types.js";
import { parseOpenAIError } from "./errors.js";
import { toOpenAIImagesRequest, toOpenAIRequest, toOpenAIStreamRequest } from "./request.js";
import {
  createOpenAIStreamDecoder,
  fromOpenAIImagesResponse,
  fromOpenAIResponse,
  type OpenAIImageSource,
} from "./response.js";

/** A generated image is a few MiB; this bounds a download that is not one. */
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/**
 * An adapter for OpenAI and OpenAI-compatible servers (vLLM, Azure's v1 API, OpenRouter):
 * `POST {baseUrl}/chat/completions` (plain or streamed) and `POST {baseUrl}/images/generations`,
 * with `Authorization: Bearer`.
 */
export function createOpenAIAdapter(
  route: ProviderRoute,
  dispatcher: Dispatcher,
): ChatProviderAdapter & ImagesProviderAdapter {
  const chatUrl = joinUrl(route.baseUrl, "/chat/completions");
  const imagesUrl = joinUrl(route.baseUrl, "/images/generations");
  const headers: Record<string, string> = route.apiKey ? { authorization: `Bearer ${route.apiKey}` } : {};
  const now = () => Math.floor(Date.now() / 1000);

  /** Fetches a URL-style image. The key stays home: image URLs are signed and often on another host. */
  async function download(url: URL, signal: AbortSignal): Promise<{ bytes: Uint8Array; contentType?: string }> {
    const response = await send(dispatcher, {
      url,
      method: "GET",
      headers: { accept: "image/*" },
      body: undefined,
      timeoutMs: route.timeoutMs,
      signal,
      parseErrorDetail: () => ({}),
      maxBytes: MAX_IMAGE_BYTES,
    });
    const contentType = headerValue(response.headers, "content-type")?.split(";")[0]?.trim();
    return { bytes: response.bytes, ...(contentType?.startsWith("image/") && { contentType }) };
  }

  async function toImage(
    source: OpenAIImageSource,
    declared: string | undefined,
    options: ChatOptions & { status: number },
  ): Promise<GeneratedImage> {
    const fetched = "url" in source ? await download(source.url, options.signal) : { bytes: source.bytes };
    const contentType = declared ?? fetched.contentType ?? "image/png";
    validateImageBytes(fetched.bytes, contentType, options.status);
    return {
      bytes: fetched.bytes,
      contentType,
      ...(source.revisedPrompt !== undefined && { revisedPrompt: source.revisedPrompt }),
    };
  }

  return {
    async chat(request, { signal }): Promise<ChatResult> {
      const response = await postJson(dispatcher, {
        url: chatUrl,
        headers,
        body: toOpenAIRequest(request, route.upstreamModel),
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseOpenAIError,
      });
      const completion = validateCompletion(
        fromOpenAIResponse(response.json, { model: route.upstreamModel, created: now() }),
        response.status,
      );
      return { completion, usage: completion.usage, httpStatus: response.status };
    },

    chatStream(request, { signal }) {
      return streamChat(
        dispatcher,
        {
          url: chatUrl,
          headers,
          body: toOpenAIStreamRequest(request, route.upstreamModel),
          timeoutMs: route.timeoutMs,
          signal,
          parseErrorDetail: parseOpenAIError,
        },
        createOpenAIStreamDecoder(),
      );
    },

    async generateImages(request, { signal }): Promise<ImagesGenerationResult> {
      const response = await postJson(dispatcher, {
        url: imagesUrl,
        headers,
        body: toOpenAIImagesRequest(request, route.upstreamModel),
        timeoutMs: route.timeoutMs,
        signal,
        parseErrorDetail: parseOpenAIError,
      });
      const answer = fromOpenAIImagesResponse(
        response.json,
        { created: now(), outputFormat: request.output_format },
        response.status,
      );
      const images = await Promise.all(
        answer.sources.map((source) => toImage(source, answer.contentType, { signal, status: response.status })),
      );
      return { created: answer.created, images, usage: answer.usage, extra: answer.extra, httpStatus: response.status };
    },
  };
}
