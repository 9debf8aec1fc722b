import { createHash } from "node:crypto";
import { sampleJson } from "./json-sample.js";
import type { Prompt, PromptMessage } from "./prompt.js";
import { countTokens, truncateToTokens } from "./tokens.js";

export type Answer =
  { kind: "text"; text: string; finish: "stop" | "length" } | { kind: "tool_call"; name: string; arguments: string };

const RETURN_EXACTLY = /^Return exactly: ([\s\S]*)$/;
const CALL_TOOL = /^Call tool: (\w+)\s*(\{.*\})?$/s;

/**
 * Answers a prompt deterministically, so tests can assert on content:
 * - "Return exactly: X" answers X;
 * - "Call tool: name {json}" answers a tool call, when the request offered tools;
 * - with an output schema, anything else answers a JSON document satisfying it (a constrained
 *   model can say nothing else, "Return exactly" included), chosen by a hash of all messages;
 * - anything else answers pseudo-words picked by a hash of all messages.
 * Text longer than the prompt's max tokens is cut and finishes with "length".
 *
 * @example
 * answerPrompt(createPrompt([{ role: "user", text: "Return exactly: hi" }], false, undefined));
 * // { kind: "text", text: "hi", finish: "stop" }
 */
export function answerPrompt(prompt: Prompt): Answer {
  const exact = RETURN_EXACTLY.exec(prompt.lastUserText);
  if (!exact && prompt.toolsOffered) {
    const call = CALL_TOOL.exec(prompt.lastUserText);
    if (call?.[1]) return { kind: "tool_call", name: call[1], arguments: call[2] ?? "{}" };
  }
  const text =
    prompt.outputSchema !== undefined
      ? JSON.stringify(sampleJson(prompt.outputSchema, JSON.stringify(prompt.messages)))
      : exact
        ? (exact[1] ?? "")
        : pseudoWords(prompt.messages);
  if (prompt.maxTokens !== undefined && countTokens(text) > prompt.maxTokens) {
    return { kind: "text", text: truncateToTokens(text, prompt.maxTokens), finish: "length" };
  }
  return { kind: "text", text, finish: "stop" };
}

/** Tokens of an answer as the usage counters report them. */
export function countAnswerTokens(answer: Answer): number {
  return answer.kind === "text" ? countTokens(answer.text) : countTokens(answer.name + answer.arguments);
}

/** Tool arguments as an object, for dialects that send them parsed; anything but a JSON object becomes {}. */
export function toolArgumentsObject(args: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

// Sixteen two-letter syllables: each hash byte becomes one four-letter word, so distinct hashes
// give distinct sentences.
const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sa", "do", "fu", "gi", "ho", "ju", "be"];

function pseudoWords(messages: readonly PromptMessage[]): string {
  const hash = createHash("sha256");
  // Length-prefixed so that ("ab","c") and ("a","bc") hash differently.
  for (const message of messages) hash.update(`${message.role}:${message.text.length}:`).update(message.text);
  const digest = hash.digest();
  const count = 6 + ((digest[0] ?? 0) % 7);
  const words: string[] = [];
  for (let i = 1; i <= count; i++) {
    const byte = digest[i] ?? 0;
    words.push(`${SYLLABLES[byte >> 4]}${SYLLABLES[byte & 15]}`);
  }
  const sentence = words.join(" ");
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}
