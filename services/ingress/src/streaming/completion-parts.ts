import { ChoiceLogprobs, Usage, type JobCompleted, type TokenChunk } from "@switchyard/contracts";
import type { ChunkParts } from "./chunks.js";

interface ResultChoice {
  message?: { content?: unknown; refusal?: unknown; tool_calls?: unknown };
  logprobs?: unknown;
  finish_reason?: unknown;
}

function firstChoice(result: Record<string, unknown>): ResultChoice | undefined {
  const choices = result["choices"];
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  return typeof first === "object" && first !== null ? (first as ResultChoice) : undefined;
}

/**
 * The whole answer of a finished `chat.completion` as one chunk, for a stream that has to be
 * told from the stored result (a retried request whose job already ended, or a second request
 * for the same Idempotency-Key): its delta, the logprobs of all its tokens, and its
 * `system_fingerprint`. Streamed tool calls carry their position as `index`.
 */
export function completionChunk(result: Record<string, unknown>): ChunkParts {
  const choice = firstChoice(result);
  const message = choice?.message ?? {};
  const delta: TokenChunk["delta"] = {};
  if (typeof message.content === "string") delta.content = message.content;
  if (typeof message.refusal === "string") delta.refusal = message.refusal;
  if (Array.isArray(message.tool_calls)) {
    delta.tool_calls = message.tool_calls.map((call: unknown, index) => ({ index, ...(call as object) }));
  }
  const parts: ChunkParts = { delta };
  const logprobs = choice?.logprobs == null ? undefined : ChoiceLogprobs.safeParse(choice.logprobs);
  if (logprobs?.success) parts.logprobs = logprobs.data;
  const fingerprint = result["system_fingerprint"];
  if (typeof fingerprint === "string") parts.system_fingerprint = fingerprint;
  return parts;
}

/** The finish reason of a stored result; "stop" when it names none. */
export function completionFinishReason(result: Record<string, unknown>): string {
  const reason = firstChoice(result)?.finish_reason;
  return typeof reason === "string" ? reason : "stop";
}

/** The usage a stream reports last: the event's, else the result's, else zeros. */
export function completionUsage(event: JobCompleted): Usage {
  if (event.usage) return event.usage;
  const parsed = Usage.safeParse(event.result["usage"]);
  return parsed.success ? parsed.data : { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}
