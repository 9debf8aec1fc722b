import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BrokerError,
  UnusableOutputError,
  UpstreamRateLimitedError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
  type ChatCompletionRequest,
} from "@switchyard/contracts";
import { createUpstreamAgent } from "./base/http.js";
import { getUpstreamStatus } from "./base/classify.js";
import { createProvider } from "./create-provider.js";
import { capability } from "./test-support/capability.js";
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from "./test-support/fake-upstream.js";
import type { ProviderRoute } from "./types.js";

/**
 * The same behaviours, over real HTTP, for every dialect: what each upstream sends differs,
 * what the worker gets back must not.
 */
interface Dialect {
  dialect: string;
  /** The route's base URL for a server at `origin`. */
  baseUrl(origin: string): string;
  path: string;
  authorized(req: RecordedRequest): boolean;
  /** An answer with `text`, the dialect's spelling of `finish`, and usage 11 in / 7 out. */
  answer(text: string, finish: "stop" | "length" | "bogus"): unknown;
  errorBody: unknown;
}

const dialects: Dialect[] = [
  {
    dialect: "openai",
    baseUrl: (origin) => `${origin}/v1`,
    path: "/v1/chat/completions",
    authorized: (req) => req.headers.authorization === "Bearer test-key",
    answer: (text, finish) => ({
      id: "chatcmpl-x",
      object: "chat.completion",
      created: 1,
      model: "up-model",
      choices: [
        { index: 0, message: { role: "assistant", content: text }, finish_reason: finish === "bogus" ? "eos" : finish },
      ],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    }),
    errorBody: {
      error: { message: "secret detail, key test-key", type: "invalid_request_error", param: null, code: null },
    },
  },
  {
    dialect: "anthropic",
    baseUrl: (origin) => origin,
    path: "/v1/messages",
    authorized: (req) => req.headers["x-api-key"] === "test-key" && req.headers["anthropic-version"] === "2023-06-01",
    answer: (text, finish) => ({
      id: "msg_x",
      type: "message",
      role: "assistant",
      model: "up-model",
      content: text === "" ? [] : [{ type: "text", text }],
      stop_reason: { stop: "end_turn", length: "max_tokens", bogus: "pause_turn" }[finish],
      usage: { input_tokens: 11, output_tokens: 7 },
    }),
    errorBody: { type: "error", error: { type: "invalid_request_error", message: "secret detail, key test-key" } },
  },
  {
    dialect: "gemini",
    baseUrl: (origin) => origin,
    path: "/v1beta/models/up-model:generateContent",
    authorized: (req) => req.headers["x-goog-api-key"] === "test-key",
    answer: (text, finish) => ({
      candidates: [
        {
          content: { role: "model", parts: text === "" ? [] : [{ text }] },
          finishReason: { stop: "STOP", length: "MAX_TOKENS", bogus: "OTHER" }[finish],
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 7, totalTokenCount: 18 },
      modelVersion: "up-model",
    }),
    errorBody: { error: { code: 400, message: "secret detail, key test-key", status: "INVALID_ARGUMENT" } },
  },
];

const request: ChatCompletionRequest = {
  model: "public-model",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Return exactly: pong" },
  ],
};

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<BrokerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error("expected the call to fail");
}

describe.each(dialects)("$dialect adapter conformance", (d) => {
  let upstream: FakeUpstream;
  const agent = createUpstreamAgent({ connections: 8 });
  let route: ProviderRoute;
  const chat = (r: ProviderRoute = route, signal: AbortSignal = AbortSignal.timeout(5000)) =>
    capability(createProvider(r, { dispatcher: agent }), "chat")(request, { signal });

  beforeAll(async () => {
    upstream = await startFakeUpstream(() => ({ status: 200, body: d.answer("pong", "stop") }));
    route = {
      id: `r-${d.dialect}`,
      dialect: d.dialect,
      baseUrl: d.baseUrl(upstream.origin),
      upstreamModel: "up-model",
      apiKey: "test-key",
      timeoutMs: 2000,
    };
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });
  afterAll(async () => {
    await agent.close();
    await upstream.close();
  });

  it("maps a success to an OpenAI chat.completion with usage", async () => {
    const result = await chat();
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({ method: "POST", path: d.path });
    expect(d.authorized(upstream.requests[0]!)).toBe(true);
    expect(result.httpStatus).toBe(200);
    expect(result.completion).toMatchObject({
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "pong" }, finish_reason: "stop" }],
    });
    expect(result.usage).toEqual({
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
    });
    expect(result.completion.usage).toEqual(result.usage);
  });

  it("maps a truncated answer to finish_reason length", async () => {
    upstream.enqueue({ status: 200, body: d.answer("po", "length") });
    expect((await chat()).completion.choices[0]?.finish_reason).toBe("length");
  });

  it("429 with Retry-After seconds → UpstreamRateLimitedError with retryAfterMs", async () => {
    upstream.enqueue({ status: 429, body: d.errorBody, headers: { "retry-after": "2" } });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 2000, status: 429 });
  });

  it("429 with Retry-After as an HTTP date → retryAfterMs from now", async () => {
    upstream.enqueue({
      status: 429,
      body: d.errorBody,
      headers: { "retry-after": new Date(Date.now() + 4000).toUTCString() },
    });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect(error.retryAfterMs).toBeGreaterThan(2000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(4000);
  });

  it.each([500, 502, 503, 504])("%i → retryable UpstreamUnavailableError", async (status) => {
    upstream.enqueue({ status, body: "<html>secret detail</html>" });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ retryable: true, status: 502, message: `upstream returned ${status}` });
    expect(getUpstreamStatus(error)).toBe(status);
  });

  it("408 → retryable UpstreamUnavailableError", async () => {
    upstream.enqueue({ status: 408, body: "" });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ retryable: true, code: "upstream_timeout" });
  });

  it("an upstream that never answers → retryable timeout at the route's timeout", async () => {
    upstream.enqueue({ hang: true });
    const started = Date.now();
    const error = await failure(chat({ ...route, timeoutMs: 300 }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ retryable: true, code: "upstream_timeout" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("the caller's deadline signal → retryable timeout", async () => {
    upstream.enqueue({ hang: true });
    const error = await failure(chat(route, AbortSignal.timeout(200)));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ retryable: true, code: "upstream_timeout" });
  });

  it("connection refused → retryable UpstreamUnavailableError", async () => {
    const port = await closedPort();
    const error = await failure(chat({ ...route, baseUrl: d.baseUrl(`http://127.0.0.1:${port}`) }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ retryable: true, message: "upstream connection failed (ECONNREFUSED)" });
  });

  it("a connection dropped mid-request → retryable UpstreamUnavailableError", async () => {
    upstream.enqueue({ destroy: true });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.retryable).toBe(true);
  });

  it("400 → UpstreamRejectedError, not retryable, with the upstream's message minus the route's key", async () => {
    upstream.enqueue({ status: 400, body: d.errorBody });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ retryable: false, status: 400, type: "invalid_request_error" });
    expect(error.message).toBe("secret detail, key [redacted]");
  });

  it.each([401, 403, 404])("%i → UpstreamRejectedError, not retryable, without the upstream's text", async (status) => {
    upstream.enqueue({ status, body: d.errorBody });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ retryable: false, status: 502, code: "upstream_rejected" });
    expect(error.message).toMatch(new RegExp(`^upstream returned ${status}`));
    expect(error.message).not.toContain("secret");
  });

  it("empty content → UnusableOutputError", async () => {
    upstream.enqueue({ status: 200, body: d.answer("", "stop") });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UnusableOutputError);
    expect(error).toMatchObject({ retryable: true, message: "upstream returned empty output" });
  });

  it("an unknown finish reason → UnusableOutputError", async () => {
    upstream.enqueue({ status: 200, body: d.answer("pong", "bogus") });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UnusableOutputError);
    expect(error.message).toMatch(/^upstream returned an unknown finish_reason/);
  });

  it("a 200 that is not JSON → UnusableOutputError", async () => {
    upstream.enqueue({ status: 200, body: "<html>oops</html>" });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UnusableOutputError);
    expect(error.message).not.toContain("oops");
  });
});

describe("createProvider", () => {
  const base = { id: "r", baseUrl: "http://127.0.0.1:1", upstreamModel: "m", apiKey: undefined, timeoutMs: 1000 };

  it.each([
    ["openai", ["chat", "chatStream", "generateImages"]],
    ["anthropic", ["chat", "chatStream"]],
    ["gemini", ["chat", "chatStream"]],
    ["video-task", ["createVideoTask", "getVideoTask", "downloadVideo", "deleteVideoTask"]],
  ])("gives the %s dialect exactly the methods it serves", (dialect, methods) => {
    const adapter = createProvider({ ...base, dialect });
    expect(Object.keys(adapter).sort()).toEqual([...methods].sort());
  });

  it("refuses an unknown dialect", () => {
    expect(() => createProvider({ ...base, dialect: "cohere" })).toThrow(/unknown dialect 'cohere'/);
  });
});
