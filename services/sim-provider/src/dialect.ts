import type { Answer } from "./answer.js";
import type { Prompt } from "./prompt.js";

export type Dialect = "openai" | "anthropic" | "gemini";

/** The answer to render, after faults have had their say. */
export interface Completion {
  answer: Answer;
  /** Set by a `finish_reason` fault: written verbatim instead of the dialect's own value. */
  finishReasonOverride: string | undefined;
  promptTokens: number;
  completionTokens: number;
}

/**
 * A whole stream as ready-made SSE frames. Split in three so the stream writer can pace,
 * cut or break it after N content frames without knowing any dialect.
 */
export interface StreamPlan {
  contentType: string;
  /** Frames before the content (OpenAI's role chunk, Anthropic's message_start, ...). */
  head: string[];
  /** One frame per content piece; `truncate_after` and `error_after` count these. */
  content: string[];
  /** Frames that finish the stream (finish reason, usage, [DONE], message_stop, ...). */
  tail: string[];
  /** The frame `error_after` sends in place of the rest of the stream. */
  error: string;
}

export interface ErrorDetails {
  message: string;
  /** OpenAI/Anthropic error type, or Gemini status string; the dialect picks one from the HTTP status if absent. */
  type?: string | undefined;
  /** OpenAI error code. */
  code?: string | undefined;
  /** OpenAI error param: the request field the error is about. */
  param?: string | undefined;
}

/** The dialect-specific half of one inference request, built by its route. */
export interface DialectCall {
  dialect: Dialect;
  /** The parsed prompt, or the reason the body is invalid (answered 400 after the auth check). */
  prompt: Prompt | { invalid: string };
  /** The key the client presented, checked against SIM_REQUIRE_KEY. */
  apiKey: string | undefined;
  /** Status and body when the key is missing or wrong; each provider answers this differently. */
  authError(apiKey: string | undefined): { status: number; body: unknown };
  errorBody(status: number, details: ErrorDetails): unknown;
  renderJson(completion: Completion): unknown;
  /** Present when the client asked for a stream. */
  renderStream: ((completion: Completion) => StreamPlan) | undefined;
}
