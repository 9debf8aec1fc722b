import { z } from "zod";
import { describeIssues } from "../../issues.js";
import { createPrompt, joinTextParts, type Prompt } from "../../prompt.js";
import { enforcesThoughtSignatures, missingThoughtSignature } from "./thought-signatures.js";

const Part = z.looseObject({ text: z.unknown().optional() });
const Content = z.looseObject({ role: z.string().optional(), parts: z.array(Part) });
const GenerateContentRequest = z.looseObject({
  contents: z.array(Content).min(1),
  systemInstruction: z.looseObject({ parts: z.array(Part) }).optional(),
  generationConfig: z.looseObject({ maxOutputTokens: z.int().min(0).optional() }).optional(),
  tools: z.array(z.unknown()).optional(),
});

/** Gemini calls the assistant "model" and lets the role default to "user". */
function normaliseRole(role: string | undefined): string {
  if (role === undefined || role === "") return "user";
  return role === "model" ? "assistant" : role;
}

/** The prompt of a `generateContent` body for `model`, or why the real API would refuse it. */
export function parseGenerateContentRequest(body: unknown, model: string): Prompt | { invalid: string } {
  const parsed = GenerateContentRequest.safeParse(body);
  if (!parsed.success) return { invalid: describeIssues(parsed.error) };
  const request = parsed.data;
  const unsigned = enforcesThoughtSignatures(model) ? missingThoughtSignature(request.contents) : undefined;
  if (unsigned !== undefined) return { invalid: unsigned };
  const messages = request.contents.map((content) => ({
    role: normaliseRole(content.role),
    text: joinTextParts(content.parts),
  }));
  if (request.systemInstruction !== undefined) {
    messages.unshift({ role: "system", text: joinTextParts(request.systemInstruction.parts) });
  }
  return createPrompt(messages, (request.tools?.length ?? 0) > 0, request.generationConfig?.maxOutputTokens);
}
