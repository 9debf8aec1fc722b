import { toolArgumentsObject } from "../../answer.js";
import type { Completion, StreamPlan } from "../../dialect.js";
import { randomId } from "../../ids.js";
import { eventFrame } from "../../sse.js";
import { splitIntoPieces } from "../../tokens.js";
import { anthropicErrorBody } from "./errors.js";

export interface MessageMeta {
  id: string;
  model: string;
}

export function createMessageMeta(model: string): MessageMeta {
  return { id: randomId("msg_01", 22), model };
}

function stopReason(completion: Completion): string {
  if (completion.finishReasonOverride !== undefined) return completion.finishReasonOverride;
  if (completion.answer.kind === "tool_call") return "tool_use";
  return completion.answer.finish === "length" ? "max_tokens" : "end_turn";
}

/** A `message` object exactly as the Anthropic Messages API returns it. */
export function messageJson(completion: Completion, meta: MessageMeta): unknown {
  const { answer } = completion;
  const content =
    answer.kind === "tool_call"
      ? [
          {
            type: "tool_use",
            id: randomId("toolu_01", 22),
            name: answer.name,
            input: toolArgumentsObject(answer.arguments),
          },
        ]
      : [{ type: "text", text: answer.text }];
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content,
    stop_reason: stopReason(completion),
    stop_sequence: null,
    usage: {
      input_tokens: completion.promptTokens,
      output_tokens: completion.completionTokens,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    },
  };
}

/**
 * The Messages stream: message_start, content_block_start, ping, content_block_delta per piece,
 * content_block_stop, message_delta (stop reason, output tokens), message_stop.
 */
export function messageStream(completion: Completion, meta: MessageMeta): StreamPlan {
  const { answer } = completion;
  const start = {
    type: "message_start",
    message: {
      id: meta.id,
      type: "message",
      role: "assistant",
      model: meta.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: completion.promptTokens,
        output_tokens: 1,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    },
  };
  const block =
    answer.kind === "tool_call"
      ? { type: "tool_use", id: randomId("toolu_01", 22), name: answer.name, input: {} }
      : { type: "text", text: "" };
  const delta = (piece: string): string =>
    eventFrame("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta:
        answer.kind === "tool_call"
          ? { type: "input_json_delta", partial_json: piece }
          : { type: "text_delta", text: piece },
    });

  return {
    contentType: "text/event-stream; charset=utf-8",
    head: [
      eventFrame("message_start", start),
      eventFrame("content_block_start", { type: "content_block_start", index: 0, content_block: block }),
      eventFrame("ping", { type: "ping" }),
    ],
    content: splitIntoPieces(answer.kind === "tool_call" ? answer.arguments : answer.text).map(delta),
    tail: [
      eventFrame("content_block_stop", { type: "content_block_stop", index: 0 }),
      eventFrame("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stopReason(completion), stop_sequence: null },
        usage: { output_tokens: completion.completionTokens },
      }),
      eventFrame("message_stop", { type: "message_stop" }),
    ],
    error: eventFrame("error", anthropicErrorBody(529, { message: "Overloaded" })),
  };
}
