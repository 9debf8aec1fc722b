import type { Dispatcher } from "undici";
import { UnusableOutputError, type FinishReason, type Usage } from "@switchyard/contracts";
import type { ChatStreamEvent } from "../types.js";
import {
  UpstreamHttpError,
  classifyAbort,
  classifyFailure,
  classifyStreamReadError,
  classifyTransportError,
  streamTruncated,
} from "./classify.js";
import { credentialsIn } from "./client-error.js";
import { headerValue, readBytes, type UpstreamRequest } from "./http.js";
import { parseSse, type SseEvent } from "./sse.js";
import { validateFinishReason } from "./validate.js";

/** Error bodies are read for a code and kept in the cause; more than this is not an error body. */
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/** A streamed piece of the answer in OpenAI `delta` terms. */
export type StreamDelta = Extract<ChatStreamEvent, { type: "delta" }>["delta"];

/** What one upstream event means in OpenAI terms. A dialect's decoder returns a list of these. */
export type StreamPart =
  /** Passed on as it is: the delta with its logprobs and the fingerprint, when new. */
  | Extract<ChatStreamEvent, { type: "delta" }>
  /**
   * Usage as reported so far; the last report wins (Gemini repeats it on every chunk).
   * `completionReported` is false when the completion count is not the upstream's yet.
   */
  | { type: "usage"; usage: Usage; completionReported: boolean }
  /** The finish reason already mapped to OpenAI's words; checked against the known set here. */
  | { type: "finish"; reason: unknown }
  /** The dialect's end marker (`[DONE]`, `message_stop`). */
  | { type: "end" };

/** Turns one dialect's server-sent events into `StreamPart`s; one instance per stream. */
export interface StreamDecoder {
  /** Maps one event; throws a classified `BrokerError` for an in-band error event. */
  decode(event: SseEvent, httpStatus: number): StreamPart[];
  /** Whether the body ending right after a finish reason completes the stream (Gemini has no end marker). */
  readonly endsWithBody: boolean;
}

/**
 * POSTs a streaming request and yields the answer as `ChatStreamEvent`s while the bytes arrive:
 * deltas and `usage_so_far` reports as they come, then at most one `usage`, then exactly one
 * `finish`.
 *
 * The body is read only as fast as the consumer pulls (undici pauses the socket when its
 * buffer is full, so a slow consumer slows the upstream through TCP instead of growing memory).
 * Ending the iteration early (`break`, `return()`) or aborting the caller's signal destroys the
 * connection at once. A body that ends before the dialect's end marker throws a retryable
 * `stream_truncated`; an answer without text, refusal or tool calls throws
 * `UnusableOutputError`, as a non-streamed one does.
 *
 * @example
 * for await (const event of streamChat(dispatcher, request, createOpenAIStreamDecoder())) {
 *   if (event.type === "delta") send(event.delta);
 * }
 */
export function streamChat(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  decoder: StreamDecoder,
): AsyncIterableIterator<ChatStreamEvent> {
  const stop = new AbortController();
  const events = run(dispatcher, request, decoder, stop);
  return {
    next: () => events.next(),
    // Abort first: a generator's return() waits for a pending next(), which may be a read
    // from an upstream that sends nothing.
    return: () => {
      stop.abort();
      return events.return(undefined);
    },
    throw: (error?: unknown) => {
      stop.abort();
      return events.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* run(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  decoder: StreamDecoder,
  stop: AbortController,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  try {
    const response = await openStream(dispatcher, {
      ...request,
      signal: AbortSignal.any([request.signal, stop.signal]),
    });
    const answer = new StreamAnswer(response.statusCode);
    try {
      for await (const event of parseSse(response.body)) {
        if (request.signal.aborted) throw classifyAbort(request.signal);
        for (const part of decoder.decode(event, response.statusCode)) {
          if (part.type === "end") {
            yield* answer.complete();
            return;
          }
          const delta = answer.take(part);
          if (delta) yield delta;
        }
      }
    } catch (error) {
      throw classifyStreamReadError(error, request.signal);
    }
    if (decoder.endsWithBody && answer.finished) {
      yield* answer.complete();
      return;
    }
    throw streamTruncated();
  } finally {
    // Releases the socket whatever ended the iteration; after a complete response it is a no-op
    // and the connection goes back to the pool.
    stop.abort();
  }
}

/** Sends the request and returns the 2xx response with its body unread. */
async function openStream(dispatcher: Dispatcher, request: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  let response: Dispatcher.ResponseData;
  try {
    response = await dispatcher.request({
      origin: request.url.origin,
      path: request.url.pathname + request.url.search,
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...request.headers },
      body: JSON.stringify(request.body),
      signal: request.signal,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    });
  } catch (error) {
    throw classifyTransportError(error);
  }
  const status = response.statusCode;
  const isJson = headerValue(response.headers, "content-type")?.startsWith("application/json") === true;
  if (status >= 200 && status < 300 && !isJson) return response;
  let text: string;
  try {
    text = (await readBytes(response.body, MAX_ERROR_BODY_BYTES)).toString("utf8");
  } catch (error) {
    throw classifyTransportError(error);
  }
  if (status >= 200 && status < 300) {
    // The server ignored `stream: true` and sent a whole answer (or an error) as JSON.
    throw new UnusableOutputError(`upstream answered a stream request with a JSON body`, {
      cause: new UpstreamHttpError(status, text),
    });
  }
  throw classifyFailure({
    kind: "http",
    status,
    headers: response.headers,
    body: text,
    detail: request.parseErrorDetail(text),
    secrets: credentialsIn(request.headers),
  });
}

/**
 * What a stream has said so far: the parts that are only sent once it is complete. Usage is
 * also passed on at once, as `usage_so_far`, for a stream that never completes.
 */
class StreamAnswer {
  private usage: Usage | undefined;
  private finishReason: FinishReason | undefined;
  private hasOutput = false;

  constructor(private readonly httpStatus: number) {}

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  /** Records a part; returns the event to yield now (deltas), if any. */
  take(part: Exclude<StreamPart, { type: "end" }>): ChatStreamEvent | undefined {
    switch (part.type) {
      case "delta":
        this.hasOutput ||= hasOutput(part.delta);
        return part;
      case "usage":
        this.usage = part.usage;
        return { type: "usage_so_far", usage: part.usage, completionReported: part.completionReported };
      case "finish":
        this.finishReason = validateFinishReason(part.reason, this.httpStatus);
        return undefined;
    }
  }

  /** The closing events; throws when the stream ended without a usable answer. */
  *complete(): Generator<ChatStreamEvent> {
    const unusable = (message: string) =>
      new UnusableOutputError(message, { cause: new UpstreamHttpError(this.httpStatus, "") });
    if (this.finishReason === undefined) throw unusable("upstream stream ended without a finish_reason");
    if (!this.hasOutput) throw unusable("upstream returned empty output");
    if (this.usage) yield { type: "usage", usage: this.usage };
    yield { type: "finish", finishReason: this.finishReason, httpStatus: this.httpStatus };
  }
}

function hasOutput(delta: StreamDelta): boolean {
  return (
    (typeof delta.content === "string" && delta.content.trim().length > 0) ||
    (typeof delta.refusal === "string" && delta.refusal.length > 0) ||
    (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0)
  );
}

/** A stream event's data as a JSON object; anything else is an answer nobody can use. */
export function parseEventJson(event: SseEvent, httpStatus: number): Record<string, unknown> {
  const notJson = (cause?: unknown) =>
    new UnusableOutputError("upstream sent a stream event that is not a JSON object", {
      cause: new UpstreamHttpError(httpStatus, event.data, { cause }),
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch (error) {
    throw notJson(error);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw notJson();
  return parsed as Record<string, unknown>;
}
