import type { ChatCompletion, ChatCompletionRequest, Usage } from "@switchyard/contracts";
import type { Dispatcher } from "undici";

/**
 * The part of a catalog route an adapter needs. `@switchyard/catalog`'s `Route` satisfies it;
 * it is restated here so this package depends on contracts alone.
 */
export interface ProviderRoute {
  readonly id: string;
  /** `openai`, `anthropic`, `gemini` or `video-task`. */
  readonly dialect: string;
  /** OpenAI routes include the version (`https://api.openai.com/v1`); Anthropic and Gemini routes do not. */
  readonly baseUrl: string;
  readonly upstreamModel: string;
  readonly apiKey: string | undefined;
  /** Bounds the wait for the response headers and every gap between body chunks. */
  readonly timeoutMs: number;
}

export interface ChatOptions {
  /** Aborts the upstream call: the job's deadline, usually combined with the route timeout. */
  signal: AbortSignal;
}

export interface ChatResult {
  /** The upstream answer in the OpenAI `chat.completion` shape, already validated. */
  completion: ChatCompletion;
  /** Usage in the OpenAI shape, with cached and reasoning tokens in the detail objects. */
  usage: Usage;
  /** The upstream's HTTP status (2xx). */
  httpStatus: number;
}

/**
 * One upstream route, spoken in its own dialect, seen through the OpenAI chat shape.
 * Every failure is thrown as a `BrokerError` from `@switchyard/contracts`: rate limits and
 * outages are retryable, rejections are not, unusable answers are `UnusableOutputError`.
 */
export interface ProviderAdapter {
  chat(request: ChatCompletionRequest, options: ChatOptions): Promise<ChatResult>;
}

export interface CreateProviderOptions {
  /**
   * Sends the requests. Pass one shared `createUpstreamAgent()` to pool connections across
   * routes, or an undici `MockAgent` in tests. Without one the adapter opens its own `Pool`
   * to the route's origin, kept for the life of the process.
   */
  dispatcher?: Dispatcher;
}
