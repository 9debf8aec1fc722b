import { safeCode, type UpstreamErrorDetail } from "../base/classify.js";

/**
 * Anthropic's words for a request beyond the model's context: "prompt is too long: 210000
 * tokens > 200000 maximum", and "input length and `max_tokens` exceed context limit: 188240 +
 * 21333 > 200000" when the prompt fits but not with the room asked for the answer. OpenAI calls
 * both `context_length_exceeded`.
 */
const CONTEXT_OVERFLOW = /prompt is too long|exceeds? (?:the )?context limit/i;

/**
 * Reads Anthropic's error body `{"type":"error","error":{"type":"overloaded_error","message"}}`.
 * The error type names the cause (`rate_limit_error`, `overloaded_error`, `invalid_request_error`);
 * retry timing comes in the `retry-after` header, which the shared classifier reads. Anthropic
 * has no `param` or `code`: a context overflow is given OpenAI's code and `param: "messages"`,
 * as OpenAI reports it, and a 413 `request_too_large` keeps that name.
 */
export function parseAnthropicError(text: string): UpstreamErrorDetail {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } | null } | null;
    const type = body?.error?.type;
    const message = typeof body?.error?.message === "string" ? body.error.message : undefined;
    const detail: UpstreamErrorDetail = { code: safeCode(type), message };
    if (type === "invalid_request_error" && message !== undefined && CONTEXT_OVERFLOW.test(message)) {
      return { ...detail, publicCode: "context_length_exceeded", param: "messages" };
    }
    if (type === "request_too_large") return { ...detail, publicCode: "request_too_large" };
    return detail;
  } catch {
    return {};
  }
}

/** Anthropic's documented error types and the HTTP status each comes with. */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * The HTTP status an `event: error` in a stream stands for: Anthropic reports overloads that
 * begin after the 200 this way. An unknown type is taken as a server error.
 */
export function anthropicStreamErrorStatus(text: string): number {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown } } | null;
    const type = body?.error?.type;
    return (typeof type === "string" ? STATUS_OF_TYPE[type] : undefined) ?? 500;
  } catch {
    return 500;
  }
}
