import type { ChatCompletionRequest, ChatMessage, ImageGenerationRequest } from "@switchyard/contracts";

/**
 * The messages with `extra_content` left out of assistant tool calls. A client sends it back on a
 * conversation a Gemini route answered (Gemini's thought signature, see
 * gemini/thought-signature.ts), and OpenAI refuses fields it does not know inside messages as it
 * does at the top level (400 "Unknown parameter: 'messages[1].tool_calls[0].index'" is what a
 * stray `index` gets). The array is returned as it is when no call carries the field.
 */
function withoutExtraContent(messages: ChatMessage[]): ChatMessage[] {
  const carries = (message: ChatMessage) => message.tool_calls?.some((call) => "extra_content" in call) === true;
  if (!messages.some(carries)) return messages;
  return messages.map((message) =>
    carries(message)
      ? {
          ...message,
          tool_calls: message.tool_calls?.map(({ extra_content: _extra, ...call }) => call),
        }
      : message,
  );
}

/**
 * The body sent to an OpenAI-compatible `/chat/completions`: the client's request unchanged
 * (tools, response_format, temperature and any field we do not know pass through), with the
 * route's model name and `stream: false`, and without Gemini's `extra_content` on tool calls.
 *
 * @example
 * toOpenAIRequest({ model: "gpt-4o-mini", messages }, "gpt-4o-mini-2024-07-18");
 */
export function toOpenAIRequest(request: ChatCompletionRequest, upstreamModel: string): Record<string, unknown> {
  // OpenAI answers 400 to `stream_options` on a non-streaming request, so it goes with `stream`.
  const { stream_options: _streamOptions, ...rest } = request;
  // Object.assign on the fresh rest object: `{ ...rest, model }` is ~20× slower on Node 20.
  return Object.assign(rest, { model: upstreamModel, stream: false, messages: withoutExtraContent(rest.messages) });
}

/**
 * The streaming body: `stream: true`, and `stream_options.include_usage` forced on (merged with
 * the client's own options) because usage is what the ledger bills.
 *
 * @example
 * toOpenAIStreamRequest({ model: "gpt-4o-mini", messages }, "gpt-4o-mini-2024-07-18").stream_options; // { include_usage: true }
 */
export function toOpenAIStreamRequest(request: ChatCompletionRequest, upstreamModel: string): Record<string, unknown> {
  const { stream_options: streamOptions, ...rest } = request;
  return Object.assign(rest, {
    model: upstreamModel,
    messages: withoutExtraContent(rest.messages),
    stream: true,
    stream_options: Object.assign({}, streamOptions, { include_usage: true }),
  });
}

/**
 * The body for `/images/generations`: the client's request with the route's model. dall-e
 * models answer with URLs unless asked for `b64_json` (and the URLs expire within the hour), so
 * they are always asked; gpt-image models always answer in base64 and refuse the parameter, so
 * a client's `response_format` is never passed on.
 *
 * @example
 * toOpenAIImagesRequest({ prompt: "a lighthouse", size: "1024x1024" }, "dall-e-3").response_format; // "b64_json"
 */
export function toOpenAIImagesRequest(request: ImageGenerationRequest, upstreamModel: string): Record<string, unknown> {
  const { response_format: _responseFormat, ...rest } = request;
  const body: Record<string, unknown> = Object.assign(rest, { model: upstreamModel });
  if (/^dall-e/i.test(upstreamModel)) body.response_format = "b64_json";
  return body;
}
