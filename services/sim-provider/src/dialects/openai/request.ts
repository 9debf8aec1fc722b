import { z } from "zod";
import { describeIssues } from "../../issues.js";
import { createPrompt, joinTextParts, type Prompt } from "../../prompt.js";
import type { LogprobsRequest } from "./logprobs.js";

// Only what the sim reads is checked; unknown fields (temperature, response_format, ...) pass.
const Part = z.looseObject({ type: z.string(), text: z.unknown().optional() });
const Message = z.looseObject({
  role: z.string().min(1),
  content: z
    .union([z.string(), z.array(Part)])
    .nullable()
    .optional(),
});
const ChatRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  max_tokens: z.int().min(0).nullable().optional(),
  max_completion_tokens: z.int().min(0).nullable().optional(),
  tools: z.array(z.unknown()).nullable().optional(),
  functions: z.array(z.unknown()).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.int().min(0).max(20).nullable().optional(),
});

export interface ParsedChatRequest {
  prompt: Prompt | { invalid: string };
  /** "" when the body is invalid; only used to echo back. */
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** Set when the request asked for `logprobs: true`. */
  logprobs: LogprobsRequest | undefined;
}

export function parseChatRequest(body: unknown): ParsedChatRequest {
  const parsed = ChatRequest.safeParse(body);
  if (!parsed.success) {
    const invalid = { invalid: describeIssues(parsed.error) };
    return { prompt: invalid, model: "", stream: false, includeUsage: false, logprobs: undefined };
  }
  const request = parsed.data;
  if (request.top_logprobs != null && request.logprobs !== true) {
    // OpenAI refuses alternatives without the logprobs they belong to.
    const invalid = { invalid: "logprobs must be true when top_logprobs is set" };
    return { prompt: invalid, model: request.model, stream: false, includeUsage: false, logprobs: undefined };
  }
  const messages = request.messages.map((message) => ({
    role: message.role,
    text: typeof message.content === "string" ? message.content : joinTextParts(message.content ?? []),
  }));
  const toolsOffered = (request.tools?.length ?? 0) > 0 || (request.functions?.length ?? 0) > 0;
  // max_completion_tokens replaced max_tokens; OpenAI honours the newer one when both are sent.
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  return {
    prompt: createPrompt(messages, toolsOffered, maxTokens),
    model: request.model,
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    logprobs: request.logprobs === true ? { topLogprobs: request.top_logprobs ?? 0 } : undefined,
  };
}
