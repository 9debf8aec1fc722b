import { fromAnthropicUsage } from "../base/usage.js";

type Json = Record<string, unknown>;

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason`. A reason missing here (`pause_turn`, a
 * future one) is passed through unchanged, so validation rejects the answer instead of
 * guessing what it means.
 */
export function mapStopReason(reason: unknown): unknown {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return reason;
  }
}

/**
 * Maps an Anthropic Messages answer to the `chat.completion` shape: text blocks joined into
 * `content`, `tool_use` blocks into `tool_calls` (input serialized as the arguments string),
 * thinking blocks left out (OpenAI does not return reasoning text either).
 */
export function fromAnthropicResponse(body: unknown, fallback: { model: string; created: number }): Json {
  const raw = (typeof body === "object" && body !== null ? body : {}) as Json;
  const blocks = Array.isArray(raw.content) ? (raw.content as Json[]) : [];
  const text = blocks
    .filter((b) => b?.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("");
  const toolCalls = blocks
    .filter((b) => b?.type === "tool_use")
    .map((b) => ({
      id: String(b.id),
      type: "function",
      function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) },
    }));
  const message: Json = {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
    refusal: null,
    ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
  };
  return {
    id: typeof raw.id === "string" ? raw.id : "msg-upstream",
    object: "chat.completion",
    // Anthropic sends no timestamp.
    created: fallback.created,
    model: typeof raw.model === "string" ? raw.model : fallback.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: mapStopReason(raw.stop_reason) }],
    usage: fromAnthropicUsage(raw.usage),
  };
}
