import type {
  ChatCompletion,
  ChatCompletionRequest,
  ChoiceLogprobs,
  FinishReason,
  ToolCall,
  Usage,
} from "@switchyard/contracts";
import type { ChatStreamEvent } from "@switchyard/providers";

type Delta = Extract<ChatStreamEvent, { type: "delta" }>["delta"];

interface ToolCallParts {
  id: string;
  name: string;
  arguments: string;
  /**
   * Gemini's thought signature (`{ google: { thought_signature } }`), sent with the delta that
   * opens the call: the stored answer (a repeated Idempotency-Key, a job's result) must carry
   * it as the stream did, or the client replaying that answer gets its next turn refused.
   */
  extraContent?: unknown;
}

/**
 * Whether a delta carries any of the answer (text, a refusal, a tool call), not only the role.
 * Whitespace alone does not count: output validation trims it, so an answer that is only
 * whitespace is unusable, and the stream must not have started for the client before that shows.
 */
export function carriesOutput(delta: Delta): boolean {
  return (
    (typeof delta.content === "string" && delta.content.trim().length > 0) ||
    Boolean(delta.refusal) ||
    (delta.tool_calls?.length ?? 0) > 0
  );
}

/** OpenAI's rule of thumb, about four characters per token: for usage nobody reported. */
const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

function promptChars(request: ChatCompletionRequest): number {
  let chars = 0;
  for (const message of request.messages) {
    const content = message.content;
    if (typeof content === "string") chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part.text === "string") chars += part.text.length;
    }
  }
  return chars;
}

type TokenLogprob = NonNullable<ChoiceLogprobs["content"]>[number];

/**
 * Builds the whole answer of a streamed chat from its deltas, the way an OpenAI client
 * accumulates chunks: text and refusal concatenated, tool calls merged by `index` (the id and
 * name come once, the arguments in pieces), the tokens' logprobs in order, and the upstream's
 * last `system_fingerprint`. A replay of the stream is told from this, so it has all of them.
 */
export class StreamAssembly {
  #content = "";
  #refusal = "";
  #sawRefusal = false;
  #toolCalls = new Map<number, ToolCallParts>();
  #usage: Usage | null = null;
  #reported: Extract<ChatStreamEvent, { type: "usage_so_far" }> | null = null;
  /** Null until a delta carries logprobs: most streams never ask for them. */
  #logprobs: { content: TokenLogprob[]; refusal: TokenLogprob[] } | null = null;
  #fingerprint: string | undefined;

  add(event: ChatStreamEvent): void {
    if (event.type === "usage") {
      this.#usage = event.usage;
      return;
    }
    if (event.type === "usage_so_far") {
      this.#reported = event;
      return;
    }
    if (event.type !== "delta") return;
    const { delta, logprobs } = event;
    if (event.systemFingerprint !== undefined) this.#fingerprint = event.systemFingerprint;
    if (logprobs) {
      this.#logprobs ??= { content: [], refusal: [] };
      if (logprobs.content) this.#logprobs.content.push(...logprobs.content);
      if (logprobs.refusal) this.#logprobs.refusal.push(...logprobs.refusal);
    }
    if (typeof delta.content === "string") {
      this.#content += delta.content;
    }
    if (typeof delta.refusal === "string") {
      this.#refusal += delta.refusal;
      this.#sawRefusal = true;
    }
    for (const [position, part] of (delta.tool_calls ?? []).entries()) {
      const index = typeof part["index"] === "number" ? part["index"] : position;
      const fn = (part["function"] ?? {}) as { name?: unknown; arguments?: unknown };
      const call = this.#toolCalls.get(index) ?? { id: "", name: "", arguments: "" };
      if (typeof part["id"] === "string") call.id = part["id"];
      if (typeof fn.name === "string") call.name += fn.name;
      if (typeof fn.arguments === "string") call.arguments += fn.arguments;
      if (part["extra_content"] !== undefined) call.extraContent = part["extra_content"];
      this.#toolCalls.set(index, call);
    }
  }

  /** Characters of the answer streamed so far, for a usage estimate. */
  get outputChars(): number {
    let chars = this.#content.length + this.#refusal.length;
    for (const call of this.#toolCalls.values()) chars += call.name.length + call.arguments.length;
    return chars;
  }

  /**
   * The usage the upstream reported at the end; for a stream that never got there, what it
   * reported before the cut (it bills that), with an estimate from what was streamed and the
   * prompt for the counts it had not given (OpenAI-compatible servers give none before the end).
   */
  usage(request: ChatCompletionRequest): Usage {
    if (this.#usage) return this.#usage;
    const reported = this.#reported;
    if (reported?.completionReported) return reported.usage;
    const completion = estimateTokens(this.outputChars);
    if (reported) {
      // The reported completion count (and its details) is a placeholder, so only the prompt side is kept.
      const { prompt_tokens, prompt_tokens_details } = reported.usage;
      return {
        prompt_tokens,
        completion_tokens: completion,
        total_tokens: prompt_tokens + completion,
        ...(prompt_tokens_details && { prompt_tokens_details }),
      };
    }
    const prompt = estimateTokens(promptChars(request));
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }

  /** The answer as an upstream `chat.completion` (the caller turns it into the client's). */
  completion(finishReason: FinishReason, request: ChatCompletionRequest): ChatCompletion {
    const toolCalls: ToolCall[] = [...this.#toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
        ...(call.extraContent !== undefined && { extra_content: call.extraContent }),
      }));
    const completion: ChatCompletion = {
      id: "chatcmpl-stream",
      object: "chat.completion",
      created: 0,
      model: request.model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: this.#content.length > 0 || toolCalls.length === 0 ? this.#content : null,
            ...(this.#sawRefusal && { refusal: this.#refusal }),
            ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
          },
          logprobs: this.#choiceLogprobs(),
          finish_reason: finishReason,
        },
      ],
      usage: this.usage(request),
    };
    if (this.#fingerprint !== undefined) completion.system_fingerprint = this.#fingerprint;
    return completion;
  }

  /** As a non-streamed answer has them: `{content, refusal}`, null for the side nothing scored. */
  #choiceLogprobs(): ChoiceLogprobs | null {
    if (!this.#logprobs) return null;
    const { content, refusal } = this.#logprobs;
    return { content: content.length > 0 ? content : null, refusal: refusal.length > 0 ? refusal : null };
  }
}
