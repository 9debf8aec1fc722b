import { safeCode, type UpstreamErrorDetail } from "../base/classify.js";

/**
 * Reads Anthropic's error body `{"type":"error","error":{"type":"overloaded_error","message"}}`.
 * The error type names the cause (`rate_limit_error`, `overloaded_error`, `invalid_request_error`);
 * retry timing comes in the `retry-after` header, which the shared classifier reads.
 */
export function parseAnthropicError(text: string): UpstreamErrorDetail {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown } } | null;
    return { code: safeCode(body?.error?.type) };
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
