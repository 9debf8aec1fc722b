import { z } from "zod";
import { describeIssues } from "../../issues.js";
import { createPrompt, joinTextParts, type Prompt, type PromptMessage } from "../../prompt.js";
import { OutputConfig } from "./output-config.js";

const Block = z.looseObject({ type: z.string(), text: z.unknown().optional() });
const Content = z.union([z.string(), z.array(Block)]);
const MessagesRequest = z.looseObject({
  model: z.string().min(1),
  // Required by the real API too; the SDKs always send it.
  max_tokens: z.int().min(1),
  system: Content.optional(),
  messages: z.array(z.looseObject({ role: z.enum(["user", "assistant"]), content: Content })).min(1),
  stream: z.boolean().optional(),
  tools: z.array(z.unknown()).optional(),
  output_config: OutputConfig.optional(),
  // The OpenAI field a translating client most easily leaks; the real API refuses unknown fields.
  response_format: z.never({ error: "Extra inputs are not permitted" }).optional(),
});

export interface ParsedMessagesRequest {
  prompt: Prompt | { invalid: string };
  model: string;
  stream: boolean;
}

const textOf = (content: z.infer<typeof Content>): string =>
  typeof content === "string" ? content : joinTextParts(content);

export function parseMessagesRequest(body: unknown): ParsedMessagesRequest {
  const parsed = MessagesRequest.safeParse(body);
  if (!parsed.success) return { prompt: { invalid: describeIssues(parsed.error) }, model: "", stream: false };
  const request = parsed.data;
  const messages: PromptMessage[] = request.messages.map((message) => ({
    role: message.role,
    text: textOf(message.content),
  }));
  // Anthropic keeps the system prompt apart; counting it as a message keeps token counts comparable.
  if (request.system !== undefined) messages.unshift({ role: "system", text: textOf(request.system) });
  return {
    prompt: createPrompt(
      messages,
      (request.tools?.length ?? 0) > 0,
      request.max_tokens,
      request.output_config?.format?.schema,
    ),
    model: request.model,
    stream: request.stream === true,
  };
}
