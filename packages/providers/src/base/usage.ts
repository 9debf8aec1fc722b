import { normalizeUsage, type Usage } from "@switchyard/contracts";

type Loose = Record<string, unknown> | null | undefined;

/** A token count from an untrusted body: a non-negative integer, or 0. */
function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function asObject(value: unknown): Loose {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function numericFields(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(asObject(value) ?? {})) {
    if (typeof v === "number") out[key] = count(v);
  }
  return out;
}

function build(
  prompt: number,
  completion: number,
  cached: number,
  reasoning: number,
  extra: { prompt?: Record<string, number>; completion?: Record<string, number>; total?: number } = {},
): Usage {
  return normalizeUsage({
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: extra.total !== undefined && extra.total >= prompt + completion ? extra.total : prompt + completion,
    // Object.assign: properties after a spread are ~20× slower on Node 20, and this runs per call.
    prompt_tokens_details: Object.assign({}, extra.prompt, { cached_tokens: cached }),
    completion_tokens_details: Object.assign({}, extra.completion, { reasoning_tokens: reasoning }),
  });
}

/**
 * OpenAI `usage` (or a compatible server's) with every detail field present. Servers that omit
 * usage get zeros rather than a rejected answer: the text is still good.
 *
 * @example
 * fromOpenAIUsage(body.usage).prompt_tokens_details?.cached_tokens; // 0 when the server sent none
 */
export function fromOpenAIUsage(raw: unknown): Usage {
  const u = asObject(raw);
  const promptDetails = numericFields(u?.prompt_tokens_details);
  const completionDetails = numericFields(u?.completion_tokens_details);
  return build(
    count(u?.prompt_tokens),
    count(u?.completion_tokens),
    promptDetails.cached_tokens ?? 0,
    completionDetails.reasoning_tokens ?? 0,
    { prompt: promptDetails, completion: completionDetails, total: count(u?.total_tokens) },
  );
}

/**
 * Anthropic's `input_tokens` excludes cache reads and writes, while OpenAI's `prompt_tokens`
 * counts every prompt token; so prompt = input + cache_read + cache_creation, and the cache
 * reads become `cached_tokens`. Extended thinking is billed inside `output_tokens` and not
 * reported apart, so reasoning stays 0.
 *
 * @example
 * fromAnthropicUsage({ input_tokens: 21, cache_read_input_tokens: 1800, output_tokens: 9 }).prompt_tokens; // 1821
 */
export function fromAnthropicUsage(raw: unknown): Usage {
  const u = asObject(raw);
  const cacheRead = count(u?.cache_read_input_tokens);
  const prompt = count(u?.input_tokens) + cacheRead + count(u?.cache_creation_input_tokens);
  return build(prompt, count(u?.output_tokens), cacheRead, 0);
}

/**
 * Gemini's `candidatesTokenCount` excludes thinking, which it reports as `thoughtsTokenCount`;
 * OpenAI counts reasoning inside `completion_tokens`, so both are added. Tool-use prompt tokens
 * are prompt tokens. `cachedContentTokenCount` is already part of `promptTokenCount`.
 *
 * @example
 * fromGeminiUsage({ promptTokenCount: 8, candidatesTokenCount: 5, thoughtsTokenCount: 20 }).completion_tokens; // 25
 */
export function fromGeminiUsage(raw: unknown): Usage {
  const u = asObject(raw);
  const thoughts = count(u?.thoughtsTokenCount);
  const prompt = count(u?.promptTokenCount) + count(u?.toolUsePromptTokenCount);
  return build(prompt, count(u?.candidatesTokenCount) + thoughts, count(u?.cachedContentTokenCount), thoughts, {
    total: count(u?.totalTokenCount),
  });
}

/**
 * Whether a Gemini `usageMetadata` counts the answer yet. A stream's chunks may carry one with
 * only `promptTokenCount` before any candidate tokens are counted; its 0 completion tokens are
 * then not a count.
 *
 * @example
 * reportsGeminiCompletion({ promptTokenCount: 11, totalTokenCount: 11 }); // false
 */
export function reportsGeminiCompletion(raw: unknown): boolean {
  return typeof asObject(raw)?.candidatesTokenCount === "number";
}

/**
 * OpenAI images usage (`input_tokens`, `output_tokens`, `total_tokens`; gpt-image models) in
 * chat terms: prompt = input, completion = output. Null when the upstream sent none, as
 * dall-e models do: those are billed per image, not per token.
 *
 * @example
 * fromOpenAIImagesUsage({ input_tokens: 50, output_tokens: 4160, total_tokens: 4210 })?.completion_tokens; // 4160
 */
export function fromOpenAIImagesUsage(raw: unknown): Usage | null {
  const u = asObject(raw);
  if (!u) return null;
  return build(count(u.input_tokens), count(u.output_tokens), 0, 0, { total: count(u.total_tokens) });
}
