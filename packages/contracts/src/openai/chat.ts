import { z } from "zod";

/**
 * The OpenAI chat request as clients send it. Known fields are checked so a bad request gets
 * a 400 naming the field; everything else (tools, temperature, ...) is kept and passed
 * through to the upstream untouched.
 */
const TextPart = z.looseObject({ type: z.literal("text"), text: z.string() });
const OtherPart = z.looseObject({ type: z.string() });
const Content = z.union([z.string(), z.array(z.union([TextPart, OtherPart]))]);

export const ChatMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: Content.nullable().optional(),
  name: z.string().optional(),
  tool_calls: z.array(z.looseObject({})).optional(),
  tool_call_id: z.string().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/**
 * `response_format` as OpenAI defines it. It is checked at the edge because every route
 * translates it (Anthropic `output_config`, Gemini `responseJsonSchema`): a malformed one must be
 * a 400 naming the field, not a translation that fails in the worker or an upstream's refusal.
 * `name` follows OpenAI's rule (a-z, A-Z, 0-9, `_` and `-`, at most 64).
 */
export const ResponseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of a-z, A-Z, 0-9, _ or -"),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1),
  // OpenAI takes null for these as for every optional field, and clients send it (`n: null`).
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.number().int().min(1).max(1).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  response_format: ResponseFormat.nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export const FinishReason = z.enum(["stop", "length", "tool_calls", "content_filter", "function_call"]);
export type FinishReason = z.infer<typeof FinishReason>;

export const Usage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().int().nonnegative().optional() }).optional(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().int().nonnegative().optional() }).optional(),
});
export type Usage = z.infer<typeof Usage>;

export const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const AssistantMessage = z.looseObject({
  role: z.literal("assistant"),
  content: z.string().nullable(),
  refusal: z.string().nullable().optional(),
  tool_calls: z.array(ToolCall).optional(),
});
export type AssistantMessage = z.infer<typeof AssistantMessage>;

/**
 * `choices[].logprobs` when the client asked for `logprobs: true`: one entry per token of the
 * content (`{token, logprob, bytes, top_logprobs}`), or of a refusal. Entries are kept as the
 * upstream sent them.
 */
export const ChoiceLogprobs = z.looseObject({
  content: z.array(z.looseObject({})).nullable().optional(),
  refusal: z.array(z.looseObject({})).nullable().optional(),
});
export type ChoiceLogprobs = z.infer<typeof ChoiceLogprobs>;

export const ChatCompletion = z.looseObject({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      message: AssistantMessage,
      logprobs: z.unknown().nullable().optional(),
      finish_reason: FinishReason,
    }),
  ),
  usage: Usage,
  service_tier: z.string().nullable().optional(),
  system_fingerprint: z.string().nullable().optional(),
});
export type ChatCompletion = z.infer<typeof ChatCompletion>;

/** Usage as the ledger stores it: the five counters every route reports, zero when absent. */
export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
}

export function tokenCounts(usage: Usage | undefined): TokenCounts {
  return {
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? 0,
    cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/** Fills the detail objects OpenAI always sends, so clients reading them never meet undefined. */
export function normalizeUsage(usage: Usage): Usage {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    prompt_tokens_details: Object.assign({ cached_tokens: 0, audio_tokens: 0 }, usage.prompt_tokens_details),
    completion_tokens_details: Object.assign(
      { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      usage.completion_tokens_details,
    ),
  };
}
