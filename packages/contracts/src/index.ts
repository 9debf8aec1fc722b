export {
  BrokerError,
  InvalidRequestError,
  AuthenticationError,
  ModelNotFoundError,
  JobNotFoundError,
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
  UpstreamRejectedError,
  isClientRejection,
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
  ResponseFormat,
  ChatCompletion,
  ChoiceLogprobs,
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
export {
  JobSubmitted,
  JobStatus,
  JobType,
  JobRecord,
  ImageArtifact,
  ImagesResult,
  VideoResult,
  TERMINAL_JOB_STATUSES,
  JOB_RETENTION_MS,
  JOB_TYPE_OF_KIND,
  KIND_OF_JOB_TYPE,
} from "./jobs.js";
export { isFinished, markFinished, markProgress, markStarted } from "./job-record.js";
export { JobCreateRequest, toJobObject, publicErrorBody } from "./job-api.js";
export type { JobObject, WebhookEvent } from "./job-api.js";
export { ImageGenerationRequest } from "./openai/images.js";
export { VideoCreateRequest, VideoSize, VideoSeconds } from "./openai/videos.js";
export type { VideoObject, VideoStatus } from "./openai/videos.js";
export { TokenChunk, FlowCredit, CancelRequest, CancelReason } from "./streaming.js";
export {
  JobEvent,
  JobStarted,
  AttemptRecorded,
  JobCompleted,
  JobFailed,
  JobCancelled,
  JobProgressed,
  WebhookAttempted,
  StreamEnd,
  WebhookTarget,
  BillableUnits,
  EventError,
  TERMINAL_EVENT_TYPES,
  isTerminal,
  eventMessageId,
  webhookDueMessageId,
} from "./events.js";
export type { JobEventType, TerminalEvent } from "./events.js";
export { createNames } from "./subjects.js";
export type { Names } from "./subjects.js";
export { createJobId, randomId, JOB_ID_PATTERN } from "./ids.js";
export type { JobIdPrefix } from "./ids.js";
