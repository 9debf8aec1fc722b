export { createProvider } from "./create-provider.js";
export type {
  ProviderAdapter,
  ProviderRoute,
  ChatOptions,
  ChatResult,
  ChatStreamEvent,
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
  parseRetryAfter,
  getUpstreamStatus,
  UpstreamHttpError,
} from "./base/classify.js";
export type { UpstreamFailure, UpstreamErrorDetail } from "./base/classify.js";
export { parseSse, SseLineParser } from "./base/sse.js";
export type { SseEvent } from "./base/sse.js";
export { validateCompletion, KNOWN_FINISH_REASONS } from "./base/validate.js";
export { fromOpenAIUsage, fromAnthropicUsage, fromGeminiUsage } from "./base/usage.js";
