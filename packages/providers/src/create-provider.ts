import { trace } from "@opentelemetry/api";
import type { Dispatcher } from "undici";
import { createAnthropicAdapter } from "./anthropic/adapter.js";
import { createOriginPool } from "./base/http.js";
import { createGeminiAdapter } from "./gemini/adapter.js";
import { createOpenAIAdapter } from "./openai/adapter.js";
import type { CreateProviderOptions, ProviderAdapter, ProviderRoute } from "./types.js";

/** OpenTelemetry GenAI `gen_ai.provider.name` per dialect. */
const PROVIDER_NAMES: Record<string, string> = { openai: "openai", anthropic: "anthropic", gemini: "gcp.gemini" };

/**
 * The adapter for a catalog route, chosen by its dialect. Throws for a dialect this package
 * cannot speak yet (`video-task`) or does not know, so a worker fails at start, not per job.
 *
 * @example
 * const agent = createUpstreamAgent();
 * const provider = createProvider(catalog.getRoute("sim-gpt-4o-mini")!, { dispatcher: agent });
 * const { completion, usage } = await provider.chat(request, { signal: AbortSignal.timeout(30_000) });
 */
export function createProvider(route: ProviderRoute, options: CreateProviderOptions = {}): ProviderAdapter {
  const dispatcher = (): Dispatcher => options.dispatcher ?? createOriginPool(new URL(route.baseUrl).origin);
  switch (route.dialect) {
    case "openai":
      return traced(route, createOpenAIAdapter(route, dispatcher()));
    case "anthropic":
      return traced(route, createAnthropicAdapter(route, dispatcher()));
    case "gemini":
      return traced(route, createGeminiAdapter(route, dispatcher()));
    case "video-task":
      throw new Error(`route '${route.id}': the video-task dialect has no chat adapter yet`);
    default:
      throw new Error(`route '${route.id}': unknown dialect '${route.dialect}'`);
  }
}

/**
 * Records the GenAI semantic-convention attributes on the caller's active span (the worker's
 * attempt span); the HTTP span itself comes from the undici instrumentation.
 */
function traced(route: ProviderRoute, adapter: ProviderAdapter): ProviderAdapter {
  return {
    async chat(request, options) {
      const span = trace.getActiveSpan();
      span?.setAttributes({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER_NAMES[route.dialect] ?? route.dialect,
        "gen_ai.request.model": route.upstreamModel,
      });
      const result = await adapter.chat(request, options);
      span?.setAttributes({
        "gen_ai.response.model": result.completion.model,
        "gen_ai.usage.input_tokens": result.usage.prompt_tokens,
        "gen_ai.usage.output_tokens": result.usage.completion_tokens,
      });
      return result;
    },
  };
}
