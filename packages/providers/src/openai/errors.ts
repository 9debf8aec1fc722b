import { safeCode, type UpstreamErrorDetail } from "../base/classify.js";

/**
 * Reads OpenAI's error envelope `{"error":{"message","type","param","code"}}`. The `code`
 * (`rate_limit_exceeded`, `insufficient_quota`, `context_length_exceeded`) says more than the
 * `type`, so it wins when both are present; the message is never used.
 */
export function parseOpenAIError(text: string): UpstreamErrorDetail {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; type?: unknown } } | null;
    return { code: safeCode(body?.error?.code) ?? safeCode(body?.error?.type) };
  } catch {
    return {};
  }
}

/** Error codes and types whose HTTP status OpenAI-compatible servers agree on. */
const STATUS_OF_CODE: Record<string, number> = {
  rate_limit_exceeded: 429,
  rate_limit_error: 429,
  insufficient_quota: 429,
  invalid_request_error: 400,
  context_length_exceeded: 400,
  invalid_api_key: 401,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  model_not_found: 404,
  timeout: 408,
  timeout_error: 408,
};

/**
 * The HTTP status an in-stream `data: {"error":{...}}` stands for, since the stream itself is a
 * 200. Gateways put the status in `code` (LiteLLM's `"429"`) or `status`; otherwise the code or
 * type decides, and an unrecognised error counts as a server error (retryable), as OpenAI's
 * own mid-stream `server_error` is.
 */
export function openAIStreamErrorStatus(error: unknown): number {
  const e = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>;
  for (const value of [e.code, e.status, e.status_code]) {
    const status = typeof value === "string" && /^\d{3}$/.test(value) ? Number(value) : value;
    if (typeof status === "number" && Number.isInteger(status) && status >= 400 && status < 600) return status;
  }
  for (const value of [e.code, e.type]) {
    if (typeof value === "string" && STATUS_OF_CODE[value] !== undefined) return STATUS_OF_CODE[value];
  }
  return 500;
}
