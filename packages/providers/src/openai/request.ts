import type { ChatCompletionRequest } from "@switchyard/contracts";

/**
 * The body sent to an OpenAI-compatible `/chat/completions`: the client's request unchanged
 * (tools, response_format, temperature and any field we do not know pass through), with the
 * route's model name and `stream: false`.
 *
 * @example
 * toOpenAIRequest({ model: "gpt-4o-mini", messages }, "gpt-4o-mini-2024-07-18");
 */
export function toOpenAIRequest(request: ChatCompletionRequest, upstreamModel: string): Record<string, unknown> {
  // OpenAI answers 400 to `stream_options` on a non-streaming request, so it goes with `stream`.
  const { stream_options: _streamOptions, ...rest } = request;
  return { ...rest, model: upstreamModel, stream: false };
}
