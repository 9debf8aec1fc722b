import { randomUUID } from "node:crypto";
import { UnusableOutputError } from "@switchyard/contracts";
import { UpstreamHttpError, classifyStreamError } from "../base/classify.js";
import { parseEventJson, type StreamDecoder, type StreamDelta, type StreamPart } from "../base/stream.js";
import { fromGeminiUsage, reportsGeminiCompletion } from "../base/usage.js";
import { geminiStreamErrorStatus, parseGeminiError } from "./errors.js";
import { signatureExtraContent } from "./thought-signature.js";

type Json = Record<string, unknown>;

/**
 * The id of a function call: Gemini's own when it sends one; Gemini 2.x sends none. A made-up
 * id must be unique across answers, not only within one: every tool turn of a conversation
 * would otherwise repeat `call_0`, and clients pair results with calls by id (Anthropic, on a
 * fallback route, refuses a history with a repeated tool_use id). Gemini itself matches results
 * by function name, so the id needs no meaning.
 */
function callId(call: Json): string {
  return typeof call.id === "string" ? call.id : `call_${randomUUID().replaceAll("-", "")}`;
}

/**
 * Gemini `finishReason` → OpenAI `finish_reason`. Every safety-style block is
 * `content_filter`; anything else (`OTHER`, `MALFORMED_FUNCTION_CALL`, a future reason) is
 * passed through lower-cased so validation rejects it instead of guessing.
 */
export function mapFinishReason(reason: unknown, hasToolCalls: boolean): unknown {
  switch (reason) {
    case "STOP":
      // Gemini ends a turn that calls functions with STOP; OpenAI clients look for tool_calls.
      return hasToolCalls ? "tool_calls" : "stop";
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    default:
      return typeof reason === "string" ? reason.toLowerCase() : reason;
  }
}

function toChoice(candidate: Json, position: number): Json {
  const content = (candidate.content ?? {}) as Json;
  const parts = Array.isArray(content.parts) ? (content.parts as Json[]) : [];
  // Parts flagged `thought` are the model's reasoning summary, not its answer.
  const text = parts
    .filter((p) => typeof p?.text === "string" && p.thought !== true)
    .map((p) => p.text as string)
    .join("");
  const toolCalls = parts
    .filter((p) => typeof p?.functionCall === "object" && p.functionCall !== null)
    .map((p) => {
      const call = p.functionCall as Json;
      return {
        id: callId(call),
        type: "function",
        function: { name: String(call.name), arguments: JSON.stringify(call.args ?? {}) },
        // The client must send it back with the call; Gemini 3 refuses the next turn without it.
        ...signatureExtraContent(p),
      };
    });
  return {
    index: typeof candidate.index === "number" ? candidate.index : position,
    message: {
      role: "assistant",
      content: text === "" && toolCalls.length > 0 ? null : text,
      refusal: null,
      ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
    },
    logprobs: null,
    finish_reason: mapFinishReason(candidate.finishReason, toolCalls.length > 0),
  };
}

/**
 * Maps a Gemini `generateContent` answer to the `chat.completion` shape: one choice per
 * candidate, text parts joined, `functionCall` parts as `tool_calls` (with the part's
 * `thoughtSignature` in `extra_content.google.thought_signature`). A prompt blocked before
 * generation has no candidates, which validation reports as "no choices".
 */
export function fromGeminiResponse(body: unknown, fallback: { model: string; created: number }): Json {
  const raw = (typeof body === "object" && body !== null ? body : {}) as Json;
  const candidates = Array.isArray(raw.candidates) ? (raw.candidates as Json[]) : [];
  return {
    id: typeof raw.responseId === "string" ? raw.responseId : "gemini-upstream",
    object: "chat.completion",
    created: fallback.created,
    model: typeof raw.modelVersion === "string" ? raw.modelVersion : fallback.model,
    choices: candidates.map((c, i) => toChoice(c ?? {}, i)),
    usage: fromGeminiUsage(raw.usageMetadata),
  };
}

/**
 * Reads a `streamGenerateContent?alt=sse` stream. Each event is a whole `GenerateContentResponse`
 * holding the next piece of candidate 0: text parts become content deltas (thought parts are
 * skipped), `functionCall` parts arrive whole and become complete `tool_calls` deltas (the
 * signature on the delta that opens the call, as unstreamed), and
 * `usageMetadata` is repeated with growing counts, so the last one is the usage. Gemini sends
 * no end marker: the body ending after a `finishReason` is the end. A prompt blocked before
 * generation (`promptFeedback.blockReason`, no candidates) is unusable, as it is unstreamed.
 */
export function createGeminiStreamDecoder(): StreamDecoder {
  let started = false;
  let toolCalls = 0;
  return {
    endsWithBody: true,
    decode(event, httpStatus): StreamPart[] {
      const chunk = parseEventJson(event, httpStatus);
      if (chunk.error !== undefined && chunk.error !== null) {
        throw classifyStreamError({
          equivalentStatus: geminiStreamErrorStatus(chunk.error),
          httpStatus,
          body: event.data,
          detail: parseGeminiError(event.data),
        });
      }
      const parts: StreamPart[] = [];
      const candidate = Array.isArray(chunk.candidates) ? (chunk.candidates[0] as Json | null | undefined) : undefined;
      if (!candidate && (chunk.promptFeedback as Json | undefined)?.blockReason !== undefined) {
        throw new UnusableOutputError("upstream returned no choices", {
          cause: new UpstreamHttpError(httpStatus, event.data),
        });
      }
      const content = (candidate?.content ?? {}) as Json;
      const delta: StreamDelta = {};
      for (const part of Array.isArray(content.parts) ? (content.parts as Array<Json | null>) : []) {
        if (typeof part?.text === "string" && part.text !== "" && part.thought !== true) {
          delta.content = (delta.content ?? "") + part.text;
        } else if (typeof part?.functionCall === "object" && part.functionCall !== null) {
          const call = part.functionCall as Json;
          const index = toolCalls++;
          (delta.tool_calls ??= []).push({
            index,
            id: callId(call),
            type: "function",
            function: { name: String(call.name), arguments: JSON.stringify(call.args ?? {}) },
            ...signatureExtraContent(part),
          });
        }
      }
      if (Object.keys(delta).length > 0) {
        if (!started) delta.role = "assistant";
        started = true;
        parts.push({ type: "delta", delta });
      }
      if (chunk.usageMetadata !== undefined) {
        const usage = fromGeminiUsage(chunk.usageMetadata);
        parts.push({ type: "usage", usage, completionReported: reportsGeminiCompletion(chunk.usageMetadata) });
      }
      if (candidate?.finishReason !== undefined && candidate.finishReason !== null) {
        parts.push({ type: "finish", reason: mapFinishReason(candidate.finishReason, toolCalls > 0) });
      }
      return parts;
    },
  };
}
