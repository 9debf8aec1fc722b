/** One token's entry in OpenAI's `choices[].logprobs.content`. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

/** What the request asked for: `logprobs: true`, and `top_logprobs` alternatives per token (0-20). */
export interface LogprobsRequest {
  topLogprobs: number;
}

// Where the alternatives come from: common tokens, so they read like a tokenizer's near misses.
const ALTERNATIVES = [
  " the",
  " a",
  ",",
  ".",
  " and",
  " of",
  " to",
  " in",
  " is",
  " it",
  " that",
  " for",
  "s",
  " I",
  " on",
  " with",
  " as",
  " was",
  " be",
  " at",
  " by",
];

/** FNV-1a over the token: the same token always gets the same logprob, run after run. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const utf8 = (token: string): number[] => Array.from(Buffer.from(token, "utf8"));

/**
 * The logprobs entry of one token, deterministic from its text: a logprob in (-1, 0], and
 * `topLogprobs` alternatives in descending order, the token itself first (as OpenAI lists the
 * sampled token among the top ones when it is the most likely), the others strictly less likely.
 *
 * @example
 * tokenLogprob(" fox", 2).top_logprobs.map((t) => t.token); // [" fox", " the"] (or another common token)
 */
export function tokenLogprob(token: string, topLogprobs: number): TokenLogprob {
  const hash = fnv1a(token);
  const logprob = -(hash % 1000) / 1000;
  const top: TokenLogprob["top_logprobs"] = [];
  for (let i = 0; top.length < topLogprobs && i <= ALTERNATIVES.length; i++) {
    const candidate = i === 0 ? token : ALTERNATIVES[(hash + i) % ALTERNATIVES.length]!;
    if (i > 0 && candidate === token) continue;
    top.push({ token: candidate, logprob: i === 0 ? logprob : logprob - 1.5 * i, bytes: utf8(candidate) });
  }
  return { token, logprob, bytes: utf8(token), top_logprobs: top };
}

/** `choices[].logprobs` for a run of tokens: OpenAI's `{content, refusal}`. */
export function choiceLogprobs(tokens: readonly string[], request: LogprobsRequest): unknown {
  return { content: tokens.map((token) => tokenLogprob(token, request.topLogprobs)), refusal: null };
}
