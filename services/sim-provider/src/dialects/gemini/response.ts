import { toolArgumentsObject } from "../../answer.js";
import type { Completion, StreamPlan } from "../../dialect.js";
import { randomId } from "../../ids.js";
import { dataFrame } from "../../sse.js";
import { splitIntoPieces } from "../../tokens.js";
import { geminiErrorBody } from "./errors.js";
import { enforcesThoughtSignatures, newThoughtSignature } from "./thought-signatures.js";

export interface GenerateMeta {
  model: string;
  responseId: string;
  /** Gemini 3 signs the function calls it answers with, and wants the signature back. */
  signsCalls: boolean;
}

export function createGenerateMeta(model: string): GenerateMeta {
  return { model, responseId: randomId("", 22), signsCalls: enforcesThoughtSignatures(model) };
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

/** The sim answers one call per step, so it is the step's first and carries the signature. */
function functionCallPart(name: string, args: string, meta: GenerateMeta): unknown {
  const part = { functionCall: { name, args: toolArgumentsObject(args) } };
  return meta.signsCalls ? { ...part, thoughtSignature: newThoughtSignature() } : part;
}

/** A GenerateContentResponse as `:generateContent` returns it. */
export function generateContentJson(completion: Completion, meta: GenerateMeta): unknown {
  const { answer } = completion;
  const part =
    answer.kind === "tool_call" ? functionCallPart(answer.name, answer.arguments, meta) : { text: answer.text };
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
    return { content: [], last: response([functionCallPart(answer.name, answer.arguments, meta)], meta, completion) };
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
