import { classifyStreamError } from "../base/classify.js";
import { parseEventJson, type StreamDecoder, type StreamPart } from "../base/stream.js";
import { fromAnthropicUsage } from "../base/usage.js";
import { anthropicStreamErrorStatus, parseAnthropicError } from "./errors.js";

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

function asObject(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The numeric fields of a usage object: later events repeat some fields as null. */
function counts(value: unknown): Json {
  return Object.fromEntries(Object.entries(asObject(value) ?? {}).filter(([, v]) => typeof v === "number"));
}

/**
 * Reads an Anthropic Messages stream: `message_start` opens the assistant turn and reports the
 * input usage, `content_block_*` events carry text (`text_delta`) and tool calls (`tool_use`
 * blocks whose input arrives as `input_json_delta` pieces, mapped to OpenAI `tool_calls`
 * deltas indexed by call; a call that streams no input gets `{}` at its block's end),
 * `message_delta` the stop reason and output usage, `message_stop` the end. An `error` event
 * (an overload that began after the 200) is classified as the same error in an HTTP answer
 * would be. Thinking blocks, pings and unknown events are skipped, as Anthropic's versioning
 * policy asks.
 */
export function createAnthropicStreamDecoder(): StreamDecoder {
  let usage: Json = {};
  /** Content block index → position among the answer's tool calls. */
  const toolCalls = new Map<number, number>();
  /** Tool blocks whose arguments have not begun: a call without parameters streams none. */
  const noArguments = new Set<number>();
  const streamError = (data: string, httpStatus: number) =>
    classifyStreamError({
      equivalentStatus: anthropicStreamErrorStatus(data),
      httpStatus,
      body: data,
      detail: parseAnthropicError(data),
    });

  return {
    endsWithBody: false,
    decode(event, httpStatus): StreamPart[] {
      if (event.event === "error") throw streamError(event.data, httpStatus);
      const data = parseEventJson(event, httpStatus);
      const blockIndex = typeof data.index === "number" ? data.index : 0;
      switch (data.type) {
        case "message_start":
          usage = counts(asObject(data.message)?.usage);
          return [
            { type: "delta", delta: { role: "assistant" } },
            // output_tokens here is a placeholder (1) before any output; message_delta has the count.
            { type: "usage", usage: fromAnthropicUsage(usage), completionReported: false },
          ];
        case "content_block_start": {
          const block = asObject(data.content_block);
          if (block?.type === "text" && typeof block.text === "string" && block.text !== "") {
            return [{ type: "delta", delta: { content: block.text } }];
          }
          if (block?.type !== "tool_use") return [];
          const index = toolCalls.size;
          toolCalls.set(blockIndex, index);
          const input = asObject(block.input);
          const args = input && Object.keys(input).length > 0 ? JSON.stringify(input) : "";
          if (args === "") noArguments.add(blockIndex);
          const call = {
            index,
            id: String(block.id),
            type: "function",
            function: { name: String(block.name), arguments: args },
          };
          return [{ type: "delta", delta: { tool_calls: [call] } }];
        }
        case "content_block_delta": {
          const delta = asObject(data.delta);
          if (delta?.type === "text_delta" && typeof delta.text === "string" && delta.text !== "") {
            return [{ type: "delta", delta: { content: delta.text } }];
          }
          const index = toolCalls.get(blockIndex);
          if (
            delta?.type === "input_json_delta" &&
            typeof delta.partial_json === "string" &&
            delta.partial_json !== "" &&
            index !== undefined
          ) {
            noArguments.delete(blockIndex);
            return [{ type: "delta", delta: { tool_calls: [{ index, function: { arguments: delta.partial_json } }] } }];
          }
          return [];
        }
        case "content_block_stop": {
          const index = toolCalls.get(blockIndex);
          if (index === undefined || !noArguments.delete(blockIndex)) return [];
          // The unstreamed answer says `{}` for such a call, and clients JSON.parse the arguments.
          return [{ type: "delta", delta: { tool_calls: [{ index, function: { arguments: "{}" } }] } }];
        }
        case "message_delta": {
          usage = { ...usage, ...counts(data.usage) };
          const parts: StreamPart[] = [{ type: "usage", usage: fromAnthropicUsage(usage), completionReported: true }];
          const reason = asObject(data.delta)?.stop_reason;
          if (reason !== null && reason !== undefined) parts.push({ type: "finish", reason: mapStopReason(reason) });
          return parts;
        }
        case "message_stop":
          return [{ type: "end" }];
        case "error":
          throw streamError(event.data, httpStatus);
        default:
          return [];
      }
    },
  };
}
