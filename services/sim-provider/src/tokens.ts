import type { PromptMessage } from "./prompt.js";

/** Characters per token: the usual rule of thumb for English, good enough for deterministic counts. */
const CHARS_PER_TOKEN = 4;
/** Per-message overhead, like the role and separator tokens real chat templates add. */
const TOKENS_PER_MESSAGE = 3;

/** ceil(length / 4): zero for "", at least one for any other text. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function countPromptTokens(messages: readonly PromptMessage[]): number {
  let total = 0;
  for (const message of messages) total += countTokens(message.text) + TOKENS_PER_MESSAGE;
  return total;
}

/** Cuts text to at most `maxTokens` tokens without splitting a surrogate pair. */
export function truncateToTokens(text: string, maxTokens: number): string {
  let end = Math.max(0, maxTokens) * CHARS_PER_TOKEN;
  if (end >= text.length) return text;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

// Up to four visible characters with the whitespace before them, like a tokenizer's pieces;
// the second branch only catches trailing whitespace, so the pieces always join back to the text.
const PIECE = /\s*\S{1,4}|\s+/gu;

/** Splits text into token-sized stream pieces whose concatenation is exactly the text. */
export function splitIntoPieces(text: string): string[] {
  return text.match(PIECE) ?? [];
}
