import { safeCode, type UpstreamErrorDetail } from "../base/classify.js";

/** `"37s"` or `"1.5s"`, the protobuf Duration JSON form. */
function durationMs(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.ceil(Number(match[1]) * 1000) : undefined;
}

/**
 * Google's words for a request beyond the model's context: "The input token count (1234567)
 * exceeds the maximum number of tokens allowed (1048576)." OpenAI calls it `context_length_exceeded`.
 */
const CONTEXT_OVERFLOW = /input token count.*exceeds the maximum/i;

/**
 * Reads Google's error body `{"error":{"code":429,"message","status":"RESOURCE_EXHAUSTED",
 * "details":[...]}}`. Gemini sends no `Retry-After` header on 429; the delay is in a
 * `google.rpc.RetryInfo` detail as `retryDelay`, so it is read from there. A wrong API key is
 * a 400 INVALID_ARGUMENT whose `google.rpc.ErrorInfo` says `API_KEY_INVALID`: it is the route's
 * credential that failed, as a 401 from the other dialects, not the client's request. Google's
 * `status` names are not OpenAI codes and its field names are not the client's, so only a
 * context overflow gets a code (OpenAI's, with `param: "messages"`) besides the message.
 */
export function parseGeminiError(text: string): UpstreamErrorDetail {
  try {
    const body = JSON.parse(text) as { error?: { status?: unknown; message?: unknown; details?: unknown } } | null;
    const details = Array.isArray(body?.error?.details)
      ? (body.error.details as Array<Record<string, unknown> | null>)
      : [];
    const detail = (type: string) => details.find((d) => typeof d?.["@type"] === "string" && d["@type"].endsWith(type));
    const retryAfterMs = durationMs(detail("google.rpc.RetryInfo")?.retryDelay);
    if (detail("google.rpc.ErrorInfo")?.reason === "API_KEY_INVALID") {
      return { code: "API_KEY_INVALID", retryAfterMs, equivalentStatus: 401 };
    }
    const message = typeof body?.error?.message === "string" ? body.error.message : undefined;
    const parsed: UpstreamErrorDetail = { code: safeCode(body?.error?.status), retryAfterMs, message };
    if (body?.error?.status === "INVALID_ARGUMENT" && message !== undefined && CONTEXT_OVERFLOW.test(message)) {
      return { ...parsed, publicCode: "context_length_exceeded", param: "messages" };
    }
    return parsed;
  } catch {
    return {};
  }
}

/**
 * The HTTP status an error chunk inside a Gemini stream stands for: Google's error object
 * carries it as `code`. Without one it counts as a server error.
 */
export function geminiStreamErrorStatus(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" && Number.isInteger(code) && code >= 400 && code < 600 ? code : 500;
}
