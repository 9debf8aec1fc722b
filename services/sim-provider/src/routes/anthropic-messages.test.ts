import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "../app.js";
import { parseSse } from "../test-support/parse-sse.js";

let app: FastifyInstance;
beforeEach(() => {
  app = createSimApp();
});
afterEach(async () => {
  await app.close();
});

const messages = (payload: object, headers: Record<string, string> = {}) =>
  app.inject({
    method: "POST",
    url: "/v1/messages",
    headers: { "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01", ...headers },
    payload,
  });

const base = { model: "claude-sonnet-4-5", max_tokens: 1024 };

describe("POST /v1/messages", () => {
  it("answers in the exact Anthropic shape", async () => {
    const res = await messages({
      ...base,
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "Return exactly: Hello, world!" }] }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: expect.stringMatching(/^msg_01[A-Za-z0-9]{22}$/),
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hello, world!" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 3 + 3 + 8 + 3,
        output_tokens: 4,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    });
  });

  it("gives the same pseudo answer as OpenAI for the same conversation", async () => {
    const anthropic = (await messages({ ...base, messages: [{ role: "user", content: "What is a broker?" }] })).json();
    const openai = (
      await app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: { model: "m", messages: [{ role: "user", content: "What is a broker?" }] },
      })
    ).json();
    expect(anthropic.content[0].text).toBe(openai.choices[0].message.content);
  });

  it("stops at max_tokens", async () => {
    const res = await messages({
      ...base,
      max_tokens: 2,
      messages: [{ role: "user", content: "Return exactly: abcdefghijkl" }],
    });
    expect(res.json()).toMatchObject({
      content: [{ type: "text", text: "abcdefgh" }],
      stop_reason: "max_tokens",
      usage: { output_tokens: 2 },
    });
  });

  it("answers with tool_use when tools are offered", async () => {
    const res = await messages({
      ...base,
      tools: [{ name: "get_weather", input_schema: { type: "object" } }],
      messages: [{ role: "user", content: 'Call tool: get_weather {"city":"Paris"}' }],
    });
    expect(res.json()).toMatchObject({
      content: [
        { type: "tool_use", id: expect.stringMatching(/^toolu_01/), name: "get_weather", input: { city: "Paris" } },
      ],
      stop_reason: "tool_use",
    });
  });

  it("answers 400 in Anthropic's envelope for bad JSON and missing max_tokens", async () => {
    const badJson = await app.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { "content-type": "application/json" },
      payload: "nope",
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: expect.any(String) },
    });
    const noMax = await messages({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] });
    expect(noMax.statusCode).toBe(400);
    expect(noMax.json().error.message).toMatch(/max_tokens/);
  });

  it("requires the key when SIM_REQUIRE_KEY is set", async () => {
    const keyed = createSimApp({ requireKey: "sk-ant-sim" });
    try {
      const payload = { ...base, messages: [{ role: "user", content: "hi" }] };
      const wrong = await keyed.inject({
        method: "POST",
        url: "/v1/messages",
        headers: { "x-api-key": "nope" },
        payload,
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual({
        type: "error",
        error: { type: "authentication_error", message: "invalid x-api-key" },
      });
      const right = await keyed.inject({
        method: "POST",
        url: "/v1/messages",
        headers: { "x-api-key": "sk-ant-sim" },
        payload,
      });
      expect(right.statusCode).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});

describe("streaming", () => {
  it("sends the real event sequence", async () => {
    const res = await messages({
      ...base,
      stream: true,
      messages: [{ role: "user", content: "Return exactly: The quick brown fox" }],
    });
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = parseSse(res.body);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("message_start");
    expect(names.slice(1, 3)).toEqual(["content_block_start", "ping"]);
    expect(names.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    const deltas = events.filter((e) => e.event === "content_block_delta").map((e) => JSON.parse(e.data));
    expect(deltas.length).toBeGreaterThan(2);
    for (const delta of deltas)
      expect(delta).toMatchObject({ type: "content_block_delta", index: 0, delta: { type: "text_delta" } });
    expect(deltas.map((d) => d.delta.text).join("")).toBe("The quick brown fox");
    for (const event of events) expect(JSON.parse(event.data).type).toBe(event.event);

    const start = JSON.parse(events[0]!.data);
    expect(start.message).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      content: [],
      stop_reason: null,
      usage: { input_tokens: 12 },
    });
    const messageDelta = JSON.parse(events.at(-2)!.data);
    expect(messageDelta).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 5 },
    });
  });

  it("streams tool input as input_json_delta", async () => {
    const res = await messages({
      ...base,
      stream: true,
      tools: [{ name: "lookup", input_schema: { type: "object" } }],
      messages: [{ role: "user", content: 'Call tool: lookup {"q":"nats"}' }],
    });
    const events = parseSse(res.body).map((e) => JSON.parse(e.data));
    expect(events[1].content_block).toMatchObject({ type: "tool_use", name: "lookup", input: {} });
    const json = events
      .filter((e) => e.type === "content_block_delta")
      .map((e) => e.delta.partial_json)
      .join("");
    expect(json).toBe('{"q":"nats"}');
    expect(events.at(-2).delta.stop_reason).toBe("tool_use");
  });
});
