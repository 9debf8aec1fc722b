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
