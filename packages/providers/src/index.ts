export { createProvider } from "./create-provider.js";
export type {
  ProviderAdapter,
  ProviderRoute,
  ChatOptions,
  ChatResult,
  ChatStreamEvent,
  ChatProviderAdapter,
  ImagesProviderAdapter,
  VideoTaskProviderAdapter,
  CreateProviderOptions,
  GeneratedImage,
  ImagesGenerationResult,
  UpstreamVideoStatus,
  VideoTaskState,
  VideoCreateOptions,
} from "./types.js";
export { createUpstreamAgent } from "./base/http.js";
export type { UpstreamAgentOptions } from "./base/http.js";
export {
  classifyFailure,
  classifyTransportError,
  classifyStreamError,
  classifyStreamReadError,
  classifyAbort,
  streamTruncated,
  parseRetryAfter,
  getUpstreamStatus,
  UpstreamHttpError,
} from "./base/classify.js";
export type { UpstreamFailure, UpstreamErrorDetail } from "./base/classify.js";
export { parseSse, SseLineParser } from "./base/sse.js";
export type { SseEvent } from "./base/sse.js";
export { streamChat, parseEventJson } from "./base/stream.js";
export type { StreamDecoder, StreamDelta, StreamPart } from "./base/stream.js";
export {
  validateCompletion,
  validateFinishReason,
  validateImageBytes,
  validateVideoBytes,
  KNOWN_FINISH_REASONS,
} from "./base/validate.js";
export {
  fromOpenAIUsage,
  fromAnthropicUsage,
  fromGeminiUsage,
  fromOpenAIImagesUsage,
  reportsGeminiCompletion,
} from "./base/usage.js";
