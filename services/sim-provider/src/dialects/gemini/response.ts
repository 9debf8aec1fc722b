import { toolArgumentsObject } from "../../answer.js";
import type { Completion, StreamPlan } from "../../dialect.js";
import { randomId } from "../../ids.js";
import { dataFrame } from "../../sse.js";
import { splitIntoPieces } from "../../tokens.js";
import { geminiErrorBody } from "./errors.js";

export interface GenerateMeta {
  model: string;
  responseId: string;
}

export function createGenerateMeta(model: string): GenerateMeta {
  return { model, responseId: randomId("", 22) };
}

function finishReason(completion: Completion): string {
  if (completion.finishReasonOverride !== undefined) return completion.finishReasonOverride;
  return completion.answer.kind === "text" && completion.answer.finish === "length" ? "MAX_TOKENS" : "STOP";
}

function usageMetadata(completion: Completion): unknown {
  return {
    promptTokenCount: completion.promptTokens,
    candidatesTokenCount: completion.completionTokens,
    totalTokenCount: completion.promptTokens + completion.completionTokens,
  };
}

/** One response; given the completion, it is the final one, with finish reason and usage. */
function response(parts: unknown[], meta: GenerateMeta, final?: Completion): Record<string, unknown> {
  const candidate = final
    ? { content: { role: "model", parts }, finishReason: finishReason(final), index: 0 }
    : { content: { role: "model", parts }, index: 0 };
  return {
    candidates: [candidate],
    ...(final ? { usageMetadata: usageMetadata(final) } : {}),
    modelVersion: meta.model,
    responseId: meta.responseId,
  };
}

function functionCallPart(name: string, args: string): unknown {
  return { functionCall: { name, args: toolArgumentsObject(args) } };
}

/** A GenerateContentResponse as `:generateContent` returns it. */
export function generateContentJson(completion: Completion, meta: GenerateMeta): unknown {
  const { answer } = completion;
  const part = answer.kind === "tool_call" ? functionCallPart(answer.name, answer.arguments) : { text: answer.text };
  return response([part], meta, completion);
}

/**
 * The partial responses of `:streamGenerateContent`. The last one carries the last piece of
 * text, the finish reason and usageMetadata, as the real API's does; Gemini never streams a
 * function call in pieces, so a tool call is that last response alone.
 */
export function streamResponses(completion: Completion, meta: GenerateMeta): { content: unknown[]; last: unknown } {
  const { answer } = completion;
  if (answer.kind === "tool_call") {
    return { content: [], last: response([functionCallPart(answer.name, answer.arguments)], meta, completion) };
  }
  const pieces = splitIntoPieces(answer.text);
  const lastPiece = pieces.pop() ?? "";
  return {
    content: pieces.map((piece) => response([{ text: piece }], meta)),
    last: response([{ text: lastPiece }], meta, completion),
  };
}

/** `?alt=sse`: one `data:` frame per partial response; the stream simply ends after the last. */
export function generateContentStream(completion: Completion, meta: GenerateMeta): StreamPlan {
  const { content, last } = streamResponses(completion, meta);
  return {
    contentType: "text/event-stream",
    head: [],
    content: content.map(dataFrame),
    tail: [dataFrame(last)],
    error: dataFrame(geminiErrorBody(500, { message: "An internal error has occurred." })),
  };
}
