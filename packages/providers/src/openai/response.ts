import { fromOpenAIUsage } from "../base/usage.js";

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/**
 * Tidies an OpenAI-compatible answer into the exact `chat.completion` shape, ready for
 * `validateCompletion`: usage with every detail field, `tool_calls` omitted when empty, and
 * the envelope fields some compatible servers leave out filled in. Choices and their finish
 * reasons are left as sent, so validation can reject what a client could not use.
 */
export function fromOpenAIResponse(body: unknown, fallback: { model: string; created: number }): Json {
  const raw = asObject(body) ?? {};
  const choices = Array.isArray(raw.choices)
    ? raw.choices.map((choice: unknown, index: number) => {
        const c = asObject(choice) ?? {};
        const message = { ...asObject(c.message) };
        if (Array.isArray(message.tool_calls) && message.tool_calls.length === 0) delete message.tool_calls;
        if (message.content === undefined) message.content = null;
        return { ...c, index: typeof c.index === "number" ? c.index : index, message, logprobs: c.logprobs ?? null };
      })
    : raw.choices;
  return {
    ...raw,
    id: typeof raw.id === "string" ? raw.id : "chatcmpl-upstream",
    object: "chat.completion",
    created: typeof raw.created === "number" ? Math.floor(raw.created) : fallback.created,
    model: typeof raw.model === "string" ? raw.model : fallback.model,
    choices,
    usage: fromOpenAIUsage(raw.usage),
  };
}
