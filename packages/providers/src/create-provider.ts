import { trace, type Span } from "@opentelemetry/api";
import type { Dispatcher } from "undici";
import type { Usage } from "@switchyard/contracts";
import { createAnthropicAdapter } from "./anthropic/adapter.js";
import { createUpstreamAgent } from "./base/http.js";
import { createGeminiAdapter } from "./gemini/adapter.js";
import { createOpenAIAdapter } from "./openai/adapter.js";
import type { ChatStreamEvent, CreateProviderOptions, ProviderAdapter, ProviderRoute } from "./types.js";
import { createVideoTaskAdapter } from "./video-task/adapter.js";

/** OpenTelemetry GenAI `gen_ai.provider.name` per dialect. */
const PROVIDER_NAMES: Record<string, string> = {
  openai: "openai",
  anthropic: "anthropic",
  gemini: "gcp.gemini",
  "video-task": "openai",
};

/**
 * The adapter for a catalog route, chosen by its dialect: chat (plain and streamed) for
 * `openai`, `anthropic` and `gemini`, images for `openai`, video tasks for `video-task`. Methods
 * a dialect does not serve are absent. Throws for a dialect it does not know, so a worker fails
 * at start, not per job.
 *
 * @example
 * const agent = createUpstreamAgent();
 * const provider = createProvider(catalog.getRoute("sim-gpt-4o-mini")!, { dispatcher: agent });
 * if (!provider.chatStream) throw new Error("route cannot stream chat");
 * for await (const event of provider.chatStream(request, { signal: AbortSignal.timeout(30_000) })) { ... }
 */
export function createProvider(route: ProviderRoute, options: CreateProviderOptions = {}): ProviderAdapter {
  const dispatcher = (): Dispatcher => options.dispatcher ?? createUpstreamAgent();
  switch (route.dialect) {
    case "openai":
      return traced(route, createOpenAIAdapter(route, dispatcher()));
    case "anthropic":
      return traced(route, createAnthropicAdapter(route, dispatcher()));
    case "gemini":
      return traced(route, createGeminiAdapter(route, dispatcher()));
    case "video-task":
      return traced(route, createVideoTaskAdapter(route, dispatcher()));
    default:
      throw new Error(`route '${route.id}': unknown dialect '${route.dialect}'`);
  }
}

/**
 * Records the GenAI semantic-convention attributes on the caller's active span (the worker's
 * attempt span); the HTTP span itself comes from the undici instrumentation. Only the methods
 * the adapter has are wrapped, so a missing one stays missing.
 */
function traced(route: ProviderRoute, adapter: ProviderAdapter): ProviderAdapter {
  const start = (operation: string): Span | undefined => {
    const span = trace.getActiveSpan();
    span?.setAttributes({
      "gen_ai.operation.name": operation,
      "gen_ai.provider.name": PROVIDER_NAMES[route.dialect] ?? route.dialect,
      "gen_ai.request.model": route.upstreamModel,
    });
    return span;
  };
  const recordUsage = (span: Span | undefined, usage: Usage | null): void => {
    if (!usage) return;
    span?.setAttributes({
      "gen_ai.usage.input_tokens": usage.prompt_tokens,
      "gen_ai.usage.output_tokens": usage.completion_tokens,
    });
  };

  const wrapped: ProviderAdapter = { ...adapter };
  const { chat, chatStream, generateImages, createVideoTask } = adapter;
  if (chat) {
    wrapped.chat = async (request, options) => {
      const span = start("chat");
      const result = await chat(request, options);
      span?.setAttribute("gen_ai.response.model", result.completion.model);
      recordUsage(span, result.usage);
      return result;
    };
  }
  if (chatStream) {
    wrapped.chatStream = (request, options) => {
      const span = start("chat");
      return tap(chatStream(request, options), (event: ChatStreamEvent) => {
        if (event.type === "usage") recordUsage(span, event.usage);
      });
    };
  }
  // `generate_content` is the GenAI conventions' name for multimodal generation.
  if (generateImages) {
    wrapped.generateImages = async (request, options) => {
      const span = start("generate_content");
      const result = await generateImages(request, options);
      recordUsage(span, result.usage);
      return result;
    };
  }
  if (createVideoTask) {
    wrapped.createVideoTask = (request, options) => {
      start("generate_content");
      return createVideoTask(request, options);
    };
  }
  return wrapped;
}

/**
 * Calls `onValue` for each value while passing `return()` straight through, so a consumer that
 * stops early still closes the upstream connection at once.
 */
function tap<T>(source: AsyncIterable<T>, onValue: (value: T) => void): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    async next() {
      const result = await iterator.next();
      if (!result.done) onValue(result.value);
      return result;
    },
    async return(value?: unknown) {
      return iterator.return ? iterator.return(value) : { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
