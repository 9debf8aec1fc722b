/**
 * Gemini's `thoughtSignature` carried through OpenAI tool calls.
 *
 * Thinking models put an opaque `thoughtSignature` on response parts, notably on the first
 * `functionCall` part of each step, and Gemini 3 refuses a request (400 INVALID_ARGUMENT,
 * "Function call is missing a thought_signature in functionCall parts") whose history replays
 * such a call without it (https://ai.google.dev/gemini-api/docs/thought-signatures). OpenAI
 * tool calls have no such field, so the signature rides on the tool call where Google's own
 * OpenAI-compatible endpoint (`generativelanguage.googleapis.com/v1beta/openai`) returns and
 * accepts it, and where clients written for that endpoint already keep it:
 *
 *   { "id": "...", "type": "function", "function": { ... },
 *     "extra_content": { "google": { "thought_signature": "<signature>" } } }
 *
 * on `message.tool_calls[]` of a response, on the streamed `delta.tool_calls[]` entry that opens
 * the call, and on the assistant message's `tool_calls[]` when the client sends history back.
 */

/**
 * What Google documents for a function call that has no signature to send, e.g. a conversation
 * begun on another model, or calls a client made up: "you can set the following dummy
 * signatures of either "context_engineering_is_the_way_to_go" or
 * "skip_thought_signature_validator"" (thought-signatures#faqs); Vertex AI documents only the
 * second, so that one works on both. Gemini 3 then skips validation instead of refusing the request.
 */
export const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

/** `{ extra_content: { google: { thought_signature } } }` for a part that carries a signature, else `{}`. */
export function signatureExtraContent(part: Record<string, unknown>): Record<string, unknown> {
  const signature = part.thoughtSignature;
  if (typeof signature !== "string" || signature === "") return {};
  return { extra_content: { google: { thought_signature: signature } } };
}

/** The signature an OpenAI tool call carries in `extra_content.google.thought_signature`, if any. */
export function toolCallSignature(call: unknown): string | undefined {
  const extra = (call as { extra_content?: { google?: { thought_signature?: unknown } } } | null)?.extra_content;
  const signature = extra?.google?.thought_signature;
  return typeof signature === "string" && signature !== "" ? signature : undefined;
}
