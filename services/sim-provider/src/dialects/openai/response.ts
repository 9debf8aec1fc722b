import type { Completion, StreamPlan } from "../../dialect.js";
import { randomId, unixSeconds } from "../../ids.js";
import { dataFrame } from "../../sse.js";
import { splitIntoPieces } from "../../tokens.js";
import { openAiErrorBody } from "./errors.js";
import { choiceLogprobs, type LogprobsRequest } from "./logprobs.js";

const FINGERPRINT = "fp_sim";

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

export function createResponseMeta(model: string): ResponseMeta {
  return { id: randomId("chatcmpl-"), created: unixSeconds(), model };
}

function finishReason(completion: Completion): string {
  if (completion.finishReasonOverride !== undefined) return completion.finishReasonOverride;
  return completion.answer.kind === "tool_call" ? "tool_calls" : completion.answer.finish;
}

function usage(completion: Completion): unknown {
  return {
    prompt_tokens: completion.promptTokens,
    completion_tokens: completion.completionTokens,
    total_tokens: completion.promptTokens + completion.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/**
 * A `chat.completion` object exactly as the OpenAI API returns it. With `logprobs` asked for, a
 * text answer carries one entry per token (the stream's pieces, so both agree); a tool call
 * carries none, as OpenAI's do not.
 */
export function chatCompletionJson(
  completion: Completion,
  meta: ResponseMeta,
  logprobs: LogprobsRequest | undefined,
): unknown {
  const { answer } = completion;
  const message =
    answer.kind === "tool_call"
      ? {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: randomId("call_"), type: "function", function: { name: answer.name, arguments: answer.arguments } },
          ],
          refusal: null,
        }
      : { role: "assistant", content: answer.text, refusal: null };
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message,
        logprobs: logprobs && answer.kind === "text" ? choiceLogprobs(splitIntoPieces(answer.text), logprobs) : null,
        finish_reason: finishReason(completion),
      },
    ],
    usage: usage(completion),
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
  };
}

/**
 * The `chat.completion.chunk` sequence: role chunk, content (or tool-call) chunks, a chunk with
 * the finish reason, the usage chunk when asked for, then [DONE].
 */
export function chatCompletionStream(
  completion: Completion,
  meta: ResponseMeta,
  includeUsage: boolean,
  logprobs: LogprobsRequest | undefined,
): StreamPlan {
  // With include_usage every chunk carries "usage": null, and only the extra last one has numbers.
  const frame = (choices: unknown[], usageValue: unknown = null): string =>
    dataFrame({
      id: meta.id,
      object: "chat.completion.chunk",
      created: meta.created,
      model: meta.model,
      service_tier: "default",
      system_fingerprint: FINGERPRINT,
      choices,
      ...(includeUsage ? { usage: usageValue } : {}),
    });
  const chunk = (delta: unknown, finish: string | null = null, chunkLogprobs: unknown = null): string =>
    frame([{ index: 0, delta, logprobs: chunkLogprobs, finish_reason: finish }]);

  const { answer } = completion;
  let content: string[];
  if (answer.kind === "tool_call") {
    const opening = {
      index: 0,
      id: randomId("call_"),
      type: "function",
      function: { name: answer.name, arguments: "" },
    };
    const argumentChunks = splitIntoPieces(answer.arguments).map((piece) =>
      chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }),
    );
    content = [chunk({ tool_calls: [opening] }), ...argumentChunks];
  } else {
    content = splitIntoPieces(answer.text).map((piece) =>
      chunk({ content: piece }, null, logprobs ? choiceLogprobs([piece], logprobs) : null),
    );
  }

  const head = [chunk({ role: "assistant", content: answer.kind === "tool_call" ? null : "" })];
  const tail = [chunk({}, finishReason(completion))];
  if (includeUsage) tail.push(frame([], usage(completion)));
  tail.push("data: [DONE]\n\n");
  const error = dataFrame(openAiErrorBody(500, { message: "simulated stream error", type: "server_error" }));
  return { contentType: "text/event-stream; charset=utf-8", head, content, tail, error };
}
