import { safeCode, type UpstreamErrorDetail } from "../base/classify.js";

/**
 * How OpenAI-compatible servers that send no `code` word a prompt longer than the model's
 * context: vLLM and older OpenAI models say "maximum context length is N tokens".
 */
const CONTEXT_OVERFLOW = /maximum context length|context length exceeded|context window/i;

/**
 * Reads OpenAI's error envelope `{"error":{"message","type","param","code"}}`. The `code`
 * (`rate_limit_exceeded`, `insufficient_quota`, `context_length_exceeded`) says more than the
 * `type`, so it wins when both are present. The message, param and code are what a client sees
 * if the upstream rejected its request: they are already in the client's dialect. A numeric
 * `code` (vLLM, LiteLLM put the HTTP status there) is no code, and a context overflow worded
 * without one gets OpenAI's.
 */
export function parseOpenAIError(text: string): UpstreamErrorDetail {
  try {
    const body = JSON.parse(text) as { error?: Record<string, unknown> | null } | null;
    const error = body?.error;
    if (typeof error !== "object" || error === null) return {};
    const message = typeof error.message === "string" ? error.message : undefined;
    const ownCode = typeof error.code === "string" && !/^\d+$/.test(error.code) ? error.code : undefined;
    const overflow = ownCode === undefined && message !== undefined && CONTEXT_OVERFLOW.test(message);
    return {
      code: safeCode(error.code) ?? safeCode(error.type),
      message,
      param: typeof error.param === "string" ? error.param : undefined,
      publicCode: overflow ? "context_length_exceeded" : ownCode,
    };
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
