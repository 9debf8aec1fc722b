export {
  BrokerError,
  InvalidRequestError,
  AuthenticationError,
  ModelNotFoundError,
  JobNotFoundError,
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
  UpstreamRejectedError,
  UnusableOutputError,
  DeadlineExceededError,
  ServiceUnavailableError,
  toErrorBody,
} from "./errors.js";
export type { BrokerErrorOptions, ErrorBody } from "./errors.js";
export type { ErrorEnvelope } from "./openai/errors.js";
export {
  ChatMessage,
  ChatCompletionRequest,
  ChatCompletion,
  AssistantMessage,
  FinishReason,
  ToolCall,
  Usage,
  tokenCounts,
  normalizeUsage,
} from "./openai/chat.js";
export type { TokenCounts } from "./openai/chat.js";
export { ModelKind } from "./openai/models.js";
export type { ModelObject, ModelList } from "./openai/models.js";
export { JobSubmitted } from "./jobs.js";
export {
  JobEvent,
  JobStarted,
  AttemptRecorded,
  JobCompleted,
  JobFailed,
  EventError,
  isTerminal,
  eventMessageId,
} from "./events.js";
export type { JobEventType, TerminalEvent } from "./events.js";
export { createNames } from "./subjects.js";
export type { Names } from "./subjects.js";
export { createJobId, randomId, JOB_ID_PATTERN } from "./ids.js";
