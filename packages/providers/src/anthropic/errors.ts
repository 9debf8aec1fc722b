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
