import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BrokerError,
  UnusableOutputError,
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
  type ChatCompletionRequest,
} from "@switchyard/contracts";
import { createUpstreamAgent } from "./base/http.js";
import { createProvider } from "./create-provider.js";
import { capability } from "./test-support/capability.js";
import { startFakeUpstream, type FakeUpstream } from "./test-support/fake-upstream.js";
import { joinedContent } from "./test-support/stream.js";
import type { ChatStreamEvent, ProviderRoute } from "./types.js";

/**
 * The streaming behaviours, over real HTTP, for every chat dialect: each upstream frames its
 * stream differently, the events the worker gets must not differ.
 */
interface StreamDialect {
  dialect: string;
  baseUrl(origin: string): string;
  path: string;
  /** Whether the request body asked for a stream the way the dialect needs. */
  asksToStream(body: Record<string, unknown>): boolean;
  /** Events before the first text. */
  preamble: string[];
  text(piece: string): string;
  /** Events after the last text: the dialect's spelling of `finish`, usage 11 in / 7 out, its end. */
  closing(finish: "stop" | "length" | "bogus"): string[];
  /** Whether the prompt's 11 tokens are reported before the text (not only at the end). */
  reportsPromptFirst: boolean;
  /** Whether the closing has an end marker after the usage, so a stream can be cut between them. */
  endMarker: boolean;
  /** An error reported inside the 200 stream. */
  errorEvent: string;
  errorBody: unknown;
}

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const named = (event: string, value: unknown) => `event: ${event}\n${data(value)}`;
const openaiChunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  data({
    id: "chatcmpl-s",
    object: "chat.completion.chunk",
    created: 1,
    model: "up-model",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
  });

const dialects: StreamDialect[] = [
  {
    dialect: "openai",
    baseUrl: (origin) => `${origin}/v1`,
    path: "/v1/chat/completions",
    asksToStream: (body) =>
      body.stream === true && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
    preamble: [openaiChunk({ role: "assistant", content: "" })],
    text: (piece) => openaiChunk({ content: piece }),
    closing: (finish) => [
      openaiChunk({}, finish === "bogus" ? "eos" : finish),
      data({
        id: "chatcmpl-s",
        object: "chat.completion.chunk",
        created: 1,
        model: "up-model",
        choices: [],
        usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      }),
      "data: [DONE]\n\n",
    ],
    reportsPromptFirst: false,
    endMarker: true,
    errorEvent: data({ error: { message: "secret detail", type: "server_error", param: null, code: null } }),
    errorBody: { error: { message: "secret detail", type: "requests", param: null, code: "rate_limit_exceeded" } },
  },
  {
    dialect: "anthropic",
    baseUrl: (origin) => origin,
    path: "/v1/messages",
    asksToStream: (body) => body.stream === true,
    preamble: [
      named("message_start", {
        type: "message_start",
        message: {
          id: "msg_s",
          type: "message",
          role: "assistant",
          content: [],
          model: "up-model",
          usage: { input_tokens: 11, output_tokens: 1 },
        },
      }),
      named("content_block_start", {
        type: "content_block_start",
        index: 0,
        content_block: { type: "text", text: "" },
      }),
    ],
    text: (piece) =>
      named("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: piece },
      }),
    closing: (finish) => [
      named("content_block_stop", { type: "content_block_stop", index: 0 }),
      named("message_delta", {
        type: "message_delta",
        delta: {
          stop_reason: { stop: "end_turn", length: "max_tokens", bogus: "pause_turn" }[finish],
          stop_sequence: null,
        },
        usage: { output_tokens: 7 },
      }),
      named("message_stop", { type: "message_stop" }),
    ],
    reportsPromptFirst: true,
    endMarker: true,
    errorEvent: named("error", { type: "error", error: { type: "overloaded_error", message: "secret detail" } }),
    errorBody: { type: "error", error: { type: "rate_limit_error", message: "secret detail" } },
  },
  {
    dialect: "gemini",
    baseUrl: (origin) => origin,
    path: "/v1beta/models/up-model:streamGenerateContent?alt=sse",
    asksToStream: () => true,
    preamble: [],
    text: (piece) =>
      data({
        candidates: [{ content: { role: "model", parts: [{ text: piece }] }, index: 0 }],
        usageMetadata: { promptTokenCount: 11, totalTokenCount: 11 },
      }),
    closing: (finish) => [
      data({
        candidates: [
          {
            content: { role: "model", parts: [{ text: "" }] },
            finishReason: { stop: "STOP", length: "MAX_TOKENS", bogus: "OTHER" }[finish],
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 7, totalTokenCount: 18 },
        modelVersion: "up-model",
      }),
    ],
    reportsPromptFirst: true,
    endMarker: false,
    errorEvent: data({ error: { code: 503, message: "secret detail", status: "UNAVAILABLE" } }),
    errorBody: { error: { code: 429, message: "secret detail", status: "RESOURCE_EXHAUSTED" } },
  },
];

const request: ChatCompletionRequest = {
  model: "public-model",
  messages: [{ role: "user", content: "Count to five." }],
};
const pieces = ["One", ", two", ", three", ", four", ", five."];

function openSse(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

/** Resolves when the response's connection closes, so a test can see the client hang up. */
function closed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => res.once("close", () => resolve()));
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function failure(iterable: AsyncIterable<ChatStreamEvent>, seen: ChatStreamEvent[] = []): Promise<BrokerError> {
  try {
    for await (const event of iterable) seen.push(event);
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error("expected the stream to fail");
}

describe.each(dialects)("$dialect streaming conformance", (d) => {
  let upstream: FakeUpstream;
  const agent = createUpstreamAgent({ connections: 8 });
  let route: ProviderRoute;
  const stream = (signal: AbortSignal = AbortSignal.timeout(5000)) =>
    capability(createProvider(route, { dispatcher: agent }), "chatStream")(request, { signal });
  const answer = (finish: "stop" | "length" | "bogus" = "stop") => [
    ...d.preamble,
    ...pieces.map((piece) => d.text(piece)),
    ...d.closing(finish),
  ];
  /** Replies with `events`, one write each, then ends (or cuts) the response. */
  const replyWith = (events: string[], end: "end" | "destroy" = "end") =>
    upstream.enqueue({
      respond: (res) => {
        openSse(res);
        for (const event of events) res.write(event);
        if (end === "end") res.end();
        // Once the bytes are on the wire: destroying at once would drop them, headers included.
        else res.write("", () => res.socket?.destroy());
      },
    });

  beforeAll(async () => {
    upstream = await startFakeUpstream(() => ({ status: 500, body: "no reply scripted" }));
    route = {
      id: `r-${d.dialect}`,
      dialect: d.dialect,
      baseUrl: d.baseUrl(upstream.origin),
      upstreamModel: "up-model",
      apiKey: "test-key",
      timeoutMs: 5000,
    };
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });
  afterAll(async () => {
    await agent.close();
    await upstream.close();
  });

  it("yields the text as deltas, then one usage, then exactly one finish", async () => {
    replyWith(answer());
    const events: ChatStreamEvent[] = [];
    for await (const event of stream()) events.push(event);
    expect(upstream.requests[0]).toMatchObject({ method: "POST", path: d.path });
    expect(d.asksToStream(upstream.requests[0]?.body as Record<string, unknown>)).toBe(true);
    expect(joinedContent(events)).toBe(pieces.join(""));
    expect(events.find((e) => e.type === "delta")).toMatchObject({ delta: { role: "assistant" } });
    expect(events.filter((e) => e.type === "usage")).toEqual([
      {
        type: "usage",
        usage: {
          prompt_tokens: 11,
          completion_tokens: 7,
          total_tokens: 18,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
      },
    ]);
    expect(events.filter((e) => e.type === "finish")).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: "finish", finishReason: "stop", httpStatus: 200 });
  });

  it("maps the dialect's max-tokens stop to finish_reason length", async () => {
    replyWith(answer("length"));
    const events: ChatStreamEvent[] = [];
    for await (const event of stream()) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: "finish", finishReason: "length" });
  });

  it("yields each delta as it arrives, before the rest of the body exists", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstream.enqueue({
      respond: async (res) => {
        openSse(res);
        for (const event of d.preamble) res.write(event);
        res.write(d.text("first"));
        await released;
        for (const event of [d.text(" second"), ...d.closing("stop")]) res.write(event);
        res.end();
      },
    });
    const iterator = stream()[Symbol.asyncIterator]();
    const seen: ChatStreamEvent[] = [];
    while (!seen.some((e) => e.type === "delta" && e.delta.content === "first")) {
      const next = await within(iterator.next(), 2000, "the first delta");
      if (next.done) throw new Error("the stream ended early");
      seen.push(next.value);
    }
    release();
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) seen.push(next.value);
    expect(joinedContent(seen)).toBe("first second");
  });

  it.each([
    ["ends cleanly", "end"],
    ["is cut", "destroy"],
  ] as const)("a stream that %s before its end → retryable stream_truncated", async (_name, end) => {
    replyWith([...d.preamble, ...pieces.slice(0, 2).map((piece) => d.text(piece))], end);
    const seen: ChatStreamEvent[] = [];
    const error = await failure(stream(), seen);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ code: "stream_truncated", retryable: true });
    expect(joinedContent(seen)).toBe("One, two");
    expect(seen.some((e) => e.type === "finish")).toBe(false);
  });

  // What the upstream reported before a cut is what it bills, so it must reach the worker: the
  // final `usage` never comes for a stream that breaks off.
  it("a stream cut mid-answer passes on the prompt tokens the upstream reported, not a completion count", async () => {
    replyWith([...d.preamble, ...pieces.slice(0, 2).map((piece) => d.text(piece))], "destroy");
    const seen: ChatStreamEvent[] = [];
    await failure(stream(), seen);
    expect(seen.some((e) => e.type === "usage")).toBe(false);
    const reported = seen.filter((e) => e.type === "usage_so_far");
    if (!d.reportsPromptFirst) {
      expect(reported).toEqual([]);
      return;
    }
    expect(reported.at(-1)).toEqual({
      type: "usage_so_far",
      usage: expect.objectContaining({ prompt_tokens: 11 }),
      completionReported: false,
    });
  });

  it.skipIf(!d.endMarker)("a stream cut after its usage, before its end marker, passes that usage on", async () => {
    replyWith([...answer().slice(0, -1)], "destroy");
    const seen: ChatStreamEvent[] = [];
    const error = await failure(stream(), seen);
    expect(error).toMatchObject({ code: "stream_truncated" });
    expect(seen.some((e) => e.type === "usage" || e.type === "finish")).toBe(false);
    expect(seen.filter((e) => e.type === "usage_so_far").at(-1)).toEqual({
      type: "usage_so_far",
      usage: expect.objectContaining({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 }),
      completionReported: true,
    });
  });

  it("an error event mid-stream → classified error after the deltas before it", async () => {
    upstream.enqueue({
      respond: (res) => {
        openSse(res);
        for (const event of [...d.preamble, d.text("One"), d.errorEvent]) res.write(event);
        res.end();
      },
    });
    const seen: ChatStreamEvent[] = [];
    const error = await failure(stream(), seen);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^upstream stream failed/);
    expect(error.message).not.toContain("secret");
    expect(joinedContent(seen)).toBe("One");
  });

  it("429 before the body → UpstreamRateLimitedError with retryAfterMs", async () => {
    upstream.enqueue({ status: 429, body: d.errorBody, headers: { "retry-after": "2" } });
    const error = await failure(stream());
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 2000, status: 429 });
    expect(error.message).toMatch(/^upstream returned 429/);
  });

  it("an unknown finish reason → UnusableOutputError", async () => {
    replyWith(answer("bogus"));
    const error = await failure(stream());
    expect(error).toBeInstanceOf(UnusableOutputError);
    expect(error.message).toMatch(/^upstream returned an unknown finish_reason/);
  });

  it("aborting the signal ends the iteration at once and closes the connection", async () => {
    let hungUp: Promise<void> = Promise.resolve();
    upstream.enqueue({
      respond: (res) => {
        hungUp = closed(res);
        openSse(res);
        for (const event of d.preamble) res.write(event);
        res.write(d.text("One"));
        // and then nothing: the client must not wait for more
      },
    });
    const controller = new AbortController();
    const iterator = stream(controller.signal)[Symbol.asyncIterator]();
    let next = await iterator.next();
    while (!next.done && next.value.type !== "delta") next = await iterator.next();
    while (!next.done && !(next.value.type === "delta" && next.value.delta.content === "One"))
      next = await iterator.next();
    // Past what the "One" event also said (Gemini's usage comes in the same chunk): the read left
    // pending is the one waiting on the upstream.
    let pending = iterator.next();
    while (await Promise.race([pending.then(() => true), sleep(50).then(() => false)])) pending = iterator.next();
    const abortedAt = Date.now();
    controller.abort();
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ code: "upstream_aborted" });
    expect((error as Error).cause).toMatchObject({ name: "AbortError" });
    await within(hungUp, 1000, "the upstream seeing the connection close");
  });

  it("breaking out of the loop closes the upstream connection", async () => {
    let hungUp: Promise<void> = Promise.resolve();
    upstream.enqueue({
      respond: (res) => {
        hungUp = closed(res);
        openSse(res);
        for (const event of [...d.preamble, d.text("One"), d.text(" two")]) res.write(event);
      },
    });
    for await (const event of stream()) {
      if (event.type === "delta" && event.delta.content) break;
    }
    await within(hungUp, 1000, "the upstream seeing the connection close");
  });

  it("a slow consumer stops the reads: the upstream's writes back up instead of piling up in memory", async () => {
    const cap = 64 * 1024 * 1024;
    const frame = d.text("x".repeat(16 * 1024));
    const progress = { written: 0, blocked: false };
    let hungUp: Promise<void> = Promise.resolve();
    upstream.enqueue({
      respond: async (res) => {
        hungUp = closed(res);
        openSse(res);
        for (const event of d.preamble) res.write(event);
        while (progress.written < cap && !res.destroyed) {
          progress.written += frame.length;
          if (!res.write(frame)) {
            progress.blocked = true;
            await new Promise<void>((resolve) => {
              const done = (): void => {
                res.off("drain", done);
                res.off("close", done);
                resolve();
              };
              res.on("drain", done);
              res.on("close", done);
            });
          }
        }
      },
    });
    const iterator = stream()[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await sleep(300);
    const stalledAt = progress.written;
    await sleep(200);
    expect(progress.blocked).toBe(true);
    expect(progress.written).toBe(stalledAt);
    expect(progress.written).toBeLessThan(cap / 4);
    await iterator.return?.();
    await within(hungUp, 1000, "the upstream seeing the connection close");
  });
});
