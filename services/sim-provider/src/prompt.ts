/**
 * A request reduced to what the sim answers from. Every dialect maps its body onto this, so
 * the answering rules, token counts and fault matching are written once.
 */
export interface PromptMessage {
  /** Normalised across dialects: "system", "user", "assistant", or the dialect's own for others (e.g. "tool"). */
  role: string;
  /** The message's text parts joined with "\n"; images, tool results and other parts are ignored. */
  text: string;
}

export interface Prompt {
  /** All messages in order, a system prompt first when the dialect keeps it apart. */
  messages: PromptMessage[];
  /** Text of the last user message, or "" when there is none; answers and fault matches key on it. */
  lastUserText: string;
  /** The request offered tools, so "Call tool: ..." prompts may answer with a tool call. */
  toolsOffered: boolean;
  /** Output limit asked for, if any. */
  maxTokens: number | undefined;
  /** A JSON Schema the answer must satisfy (Anthropic `output_config.format`), if any. */
  outputSchema?: Record<string, unknown> | undefined;
}

/** Builds a Prompt from already-normalised messages. */
export function createPrompt(
  messages: PromptMessage[],
  toolsOffered: boolean,
  maxTokens: number | undefined,
  outputSchema?: Record<string, unknown>,
): Prompt {
  let lastUserText = "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === "user") {
      lastUserText = message.text;
      break;
    }
  }
  return { messages, lastUserText, toolsOffered, maxTokens, ...(outputSchema !== undefined && { outputSchema }) };
}

/** Joins the text of content parts the way all three dialects shape them: `{ type?, text }`. */
export function joinTextParts(parts: readonly { type?: unknown; text?: unknown }[]): string {
  const texts: string[] = [];
  for (const part of parts) {
    if (typeof part.text === "string" && (part.type === undefined || part.type === "text")) texts.push(part.text);
  }
  return texts.join("\n");
}
