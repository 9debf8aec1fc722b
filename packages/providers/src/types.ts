import type {
  ChatCompletion,
  ChatCompletionRequest,
  ChoiceLogprobs,
  FinishReason,
  ImageGenerationRequest,
  Usage,
  VideoCreateRequest,
} from "@switchyard/contracts";
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
 * One piece of a streamed chat answer, in OpenAI terms. A stream yields `delta`s, at most one
 * `usage` (wherever the dialect reports it: a final chunk, a chunk with choices, a
 * `message_delta`), and ends with exactly one `finish`. A stream that ends without `finish`
 * (the connection dropped, no `[DONE]`) throws a retryable `UpstreamUnavailableError` with code
 * `stream_truncated` instead: a truncated answer is never passed off as complete.
 *
 * `usage_so_far` comes each time the upstream reports usage, as it arrives (Anthropic's
 * `message_start` has the prompt's tokens, Gemini repeats `usageMetadata` on every chunk;
 * OpenAI-compatible servers report only at the end). The upstream bills a stream that breaks
 * off for what it reported, and the final `usage` never comes for one, so this is what a
 * consumer records for it; the last report wins. `completionReported` is false while
 * `completion_tokens` is not yet the upstream's count (`message_start` says 1 whatever follows).
 *
 * A delta may carry `logprobs`, the tokens of that delta as the upstream scored them (OpenAI-
 * compatible upstreams, when the client asked for `logprobs: true`), and `systemFingerprint`, on
 * the first event after the upstream names one and after it names another; such a delta may be
 * empty when the upstream said nothing else in that chunk.
 */
export type ChatStreamEvent =
  | {
      type: "delta";
      delta: {
        role?: "assistant";
        content?: string | null;
        tool_calls?: Record<string, unknown>[];
        refusal?: string | null;
      };
      logprobs?: ChoiceLogprobs;
      systemFingerprint?: string;
    }
  | { type: "usage"; usage: Usage }
  | { type: "usage_so_far"; usage: Usage; completionReported: boolean }
  | { type: "finish"; finishReason: FinishReason; httpStatus: number };

export interface GeneratedImage {
  bytes: Uint8Array;
  /** e.g. `image/png`. */
  contentType: string;
  revisedPrompt?: string;
}

export interface ImagesGenerationResult {
  created: number;
  images: GeneratedImage[];
  /** The upstream's usage object as sent (OpenAI images: input/output/total tokens), mapped to chat terms. */
  usage: Usage | null;
  /** Echoed fields of the OpenAI images response: size, quality, background, output_format. */
  extra: Record<string, unknown>;
  httpStatus: number;
}

export type UpstreamVideoStatus = "queued" | "in_progress" | "completed" | "failed";

export interface VideoTaskState {
  taskId: string;
  status: UpstreamVideoStatus;
  /** 0-100. */
  progress: number;
  /** Set when `failed`. */
  error: { code: string; message: string } | null;
  /** Seconds of video the task produces (billing), when the upstream says. */
  seconds: number | null;
}

export interface VideoCreateOptions extends ChatOptions {
  /** Sent as `Idempotency-Key`, so a second submission of the same job names the same task. */
  idempotencyKey: string;
  /** An optional reference image (multipart `input_reference`). */
  inputReference?: { bytes: Uint8Array; contentType: string; filename: string };
}

/**
 * One upstream route, spoken in its own dialect, seen through OpenAI's shapes. Each dialect
 * implements the kinds it serves (chat for openai/anthropic/gemini, images for openai, videos
 * for video-task); calling a missing one is a programming error the catalog prevents.
 * Every failure is thrown as a `BrokerError` from `@switchyard/contracts`: rate limits and
 * outages are retryable, rejections are not, unusable answers are `UnusableOutputError`.
 */
export interface ProviderAdapter {
  chat?(request: ChatCompletionRequest, options: ChatOptions): Promise<ChatResult>;
  /** Streams the answer; the request's `stream`/`stream_options` are set by the adapter. */
  chatStream?(request: ChatCompletionRequest, options: ChatOptions): AsyncIterable<ChatStreamEvent>;
  generateImages?(request: ImageGenerationRequest, options: ChatOptions): Promise<ImagesGenerationResult>;
  createVideoTask?(request: VideoCreateRequest, options: VideoCreateOptions): Promise<VideoTaskState>;
  getVideoTask?(taskId: string, options: ChatOptions): Promise<VideoTaskState>;
  /** The finished MP4's bytes. */
  downloadVideo?(taskId: string, options: ChatOptions): Promise<{ bytes: Uint8Array; contentType: string }>;
  /**
   * Deletes the task upstream, stopping it if it still runs: for a job nobody will collect
   * (cancelled, or past its deadline). A task the upstream no longer knows counts as deleted.
   */
  deleteVideoTask?(taskId: string, options: ChatOptions): Promise<void>;
}

/** What the openai, anthropic and gemini dialects build: both chat methods are present. */
export type ChatProviderAdapter = ProviderAdapter & Required<Pick<ProviderAdapter, "chat" | "chatStream">>;

/** What the openai dialect builds on top of chat: image generation is present. */
export type ImagesProviderAdapter = ProviderAdapter & Required<Pick<ProviderAdapter, "generateImages">>;

/** What the video-task dialect builds: the four video task methods are present. */
export type VideoTaskProviderAdapter = ProviderAdapter &
  Required<Pick<ProviderAdapter, "createVideoTask" | "getVideoTask" | "downloadVideo" | "deleteVideoTask">>;

export interface CreateProviderOptions {
  /**
   * Sends the requests. Pass one shared `createUpstreamAgent()` to pool connections across
   * routes, or an undici `MockAgent` in tests. Without one the adapter opens its own `Agent`
   * (image URLs an upstream returns may live on another origin), kept for the life of the process.
   */
  dispatcher?: Dispatcher;
}
