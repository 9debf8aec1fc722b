import { randomBytes } from "node:crypto";

/**
 * Gemini 3's thought signatures, as the real API enforces them
 * (https://ai.google.dev/gemini-api/docs/thought-signatures): every answer with function calls
 * carries an opaque `thoughtSignature` on its first `functionCall` part, and a request whose
 * current turn replays a model step whose first call lacks one is refused with 400
 * INVALID_ARGUMENT. Gemini 2.5 signs too but validates nothing, so the sim leaves it alone.
 */

/** `gemini-3-pro-preview`, `gemini-3.1-pro-preview` and later majors; not `gemini-2.5-flash`. */
export function enforcesThoughtSignatures(model: string): boolean {
  const major = /^gemini-(\d+)/.exec(model)?.[1];
  return major !== undefined && Number(major) >= 3;
}

/** A fresh opaque signature: base64 like the real ones (the field is bytes in Google's API). */
export function newThoughtSignature(): string {
  return randomBytes(48).toString("base64");
}

interface Content {
  role?: unknown;
  parts: Array<Record<string, unknown>>;
}

const hasSignature = (part: Record<string, unknown>): boolean =>
  typeof part.thoughtSignature === "string" && part.thoughtSignature !== "";

/**
 * Why Gemini 3 would refuse these contents, or undefined. Only the current turn is checked, as
 * Google does: the contents after the last user content with text (a `functionResponse` turn
 * continues the model's turn rather than starting one). In each model step there, the first
 * `functionCall` part must carry a signature; parallel calls after it need none.
 */
export function missingThoughtSignature(contents: readonly Content[]): string | undefined {
  let turnStart = 0;
  contents.forEach((content, index) => {
    const fromUser = content.role === undefined || content.role === "" || content.role === "user";
    if (fromUser && content.parts.some((part) => typeof part.text === "string")) turnStart = index;
  });
  for (let index = turnStart; index < contents.length; index++) {
    const content = contents[index];
    if (content?.role !== "model") continue;
    const first = content.parts.find((part) => typeof part.functionCall === "object" && part.functionCall !== null);
    if (!first || hasSignature(first)) continue;
    const name = String((first.functionCall as { name?: unknown }).name);
    // The real message, word for word, naming the call and its content's 1-based position.
    return (
      "Function call is missing a thought_signature in functionCall parts. This is required for tools to work " +
      "correctly, and missing thought_signature may lead to degraded model performance. Additional data, " +
      `function call \`default_api:${name}\` , position ${index + 1}. please refer to ` +
      "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
    );
  }
  return undefined;
}
