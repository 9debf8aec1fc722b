import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { UnusableOutputError, UpstreamRateLimitedError, UpstreamUnavailableError } from "@switchyard/contracts";
import { collect } from "../test-support/stream.js";
import { fromOpenAIUsage } from "./usage.js";
import { parseEventJson, streamChat, type StreamDecoder, type StreamPart } from "./stream.js";

/** A toy dialect: `{"text"}` deltas, `{"usage"}` (`"partial"`: prompt only), `{"finish"}`, and `[END]`. */
const toyDecoder = (endsWithBody = false): StreamDecoder => ({
  endsWithBody,
  decode(event, httpStatus): StreamPart[] {
    if (event.data === "[END]") return [{ type: "end" }];
    const data = parseEventJson(event, httpStatus);
    if (typeof data.text === "string") return [{ type: "delta", delta: { content: data.text } }];
    if (data.usage !== undefined) {
      return [{ type: "usage", usage: fromOpenAIUsage(data.usage), completionReported: data.partial !== true }];
    }
    return [{ type: "finish", reason: data.finish }];
  },
});

const sse = (...events: unknown[]) =>
  events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join("");

describe("streamChat", () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(() => agent.close());

  const reply = (status: number, body: string, contentType = "text/event-stream") =>
    agent
      .get("https://up.test")
      .intercept({ path: "/stream", method: "POST" })
      .reply(status, body, { headers: { "content-type": contentType } });
  const run = (decoder = toyDecoder()) =>
    collect(
      streamChat(
        agent,
        {
          url: new URL("https://up.test/stream"),
          headers: {},
          body: { q: 1 },
          timeoutMs: 5000,
          signal: AbortSignal.timeout(5000),
          parseErrorDetail: (text) => ({ code: text.includes("slow") ? "slow_down" : undefined }),
        },
        decoder,
      ),
    );

  it("yields deltas and each usage report as they come, then the last usage once, then exactly one finish", async () => {
    reply(
      200,
      sse(
        { text: "Hel" },
        { usage: { prompt_tokens: 3, completion_tokens: 1 }, partial: true },
        { text: "lo" },
        { finish: "stop" },
        { usage: { prompt_tokens: 3, completion_tokens: 2 } },
        "[END]",
      ),
    );
    const final = expect.objectContaining({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(await run()).toEqual([
      { type: "delta", delta: { content: "Hel" } },
      {
        type: "usage_so_far",
        usage: expect.objectContaining({ prompt_tokens: 3, completion_tokens: 1 }),
        completionReported: false,
      },
      { type: "delta", delta: { content: "lo" } },
      { type: "usage_so_far", usage: final, completionReported: true },
      { type: "usage", usage: final },
      { type: "finish", finishReason: "stop", httpStatus: 200 },
    ]);
  });

  it("ends at the body's end after a finish when the dialect has no end marker", async () => {
    reply(200, sse({ text: "hi" }, { finish: "length" }));
    expect((await run(toyDecoder(true))).at(-1)).toEqual({ type: "finish", finishReason: "length", httpStatus: 200 });
  });

  it.each([
    ["without the end marker", sse({ text: "hi" }, { finish: "stop" }), true],
    ["in the middle of an event", `${sse({ text: "hi" })}data: {"finish":"st`, true],
    ["before a finish, in a dialect without an end marker", sse({ text: "hi" }), false],
  ])("throws a retryable stream_truncated for a body that ends %s", async (_name, body, marker) => {
    reply(200, body);
    const error = await run(toyDecoder(!marker)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ code: "stream_truncated", retryable: true });
  });

  it.each([
    [
      "an unknown finish reason",
      sse({ text: "hi" }, { finish: "eos" }, "[END]"),
      "upstream returned an unknown finish_reason 'eos'",
    ],
    ["an end without a finish", sse({ text: "hi" }, "[END]"), "upstream stream ended without a finish_reason"],
    ["no output", sse({ text: "  " }, { finish: "stop" }, "[END]"), "upstream returned empty output"],
    ["an event that is not JSON", sse("{nope"), "upstream sent a stream event that is not a JSON object"],
  ])("rejects %s as unusable", async (_name, body, message) => {
    reply(200, body);
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnusableOutputError);
    expect(error).toMatchObject({ message });
  });

  it("classifies an HTTP error before the body as chat does", async () => {
    agent
      .get("https://up.test")
      .intercept({ path: "/stream", method: "POST" })
      .reply(429, "slow down", { headers: { "retry-after": "3" } });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect(error).toMatchObject({ retryAfterMs: 3000, message: "upstream returned 429 (slow_down)" });
  });

  it("rejects a JSON answer to a stream request", async () => {
    reply(200, '{"choices":[]}', "application/json");
    await expect(run()).rejects.toThrow("upstream answered a stream request with a JSON body");
  });

  it("asks for an event stream", async () => {
    let accept: string | undefined;
    agent
      .get("https://up.test")
      .intercept({ path: "/stream", method: "POST" })
      .reply(200, (opts) => {
        accept = (opts.headers as Record<string, string>).accept;
        return sse({ text: "x" }, { finish: "stop" }, "[END]");
      });
    await run();
    expect(accept).toBe("text/event-stream");
  });
});
