import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "../app.js";
import { parseSse, sseJson } from "../test-support/parse-sse.js";

let app: FastifyInstance;
beforeEach(() => {
  app = createSimApp();
});
afterEach(async () => {
  await app.close();
});

const chat = (payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: "/v1/chat/completions", payload: payload as object, headers });

const userMessage = (content: unknown) => ({ model: "gpt-4o-mini", messages: [{ role: "user", content }] });

describe("POST /v1/chat/completions", () => {
  it("answers in the exact OpenAI shape", async () => {
    const res = await chat({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Return exactly: Hello, world!" },
      ],
      temperature: 0.2,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]{24}$/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "gpt-4o-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello, world!", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        // "Be brief." is 9 chars -> 3 tokens, "Return exactly: Hello, world!" is 29 -> 8; +3 per message.
        prompt_tokens: 3 + 3 + 8 + 3,
        // "Hello, world!" is 13 chars -> 4 tokens.
        completion_tokens: 4,
        total_tokens: 21,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      service_tier: "default",
      system_fingerprint: "fp_sim",
    });
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(5);
  });

  it("reads content given as text parts", async () => {
    const res = await chat(userMessage([{ type: "text", text: "Return exactly: from parts" }]));
    expect(res.json().choices[0].message.content).toBe("from parts");
  });

  it("is deterministic for the same messages and differs for others", async () => {
    const a = (await chat(userMessage("Tell me about queues"))).json();
    const b = (await chat(userMessage("Tell me about queues"))).json();
    const c = (await chat(userMessage("Tell me about streams"))).json();
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.choices[0].message.content).not.toBe(c.choices[0].message.content);
    expect(a.id).not.toBe(b.id);
  });

  it.each(["max_tokens", "max_completion_tokens"])("cuts the answer at %s with finish_reason length", async (field) => {
    const res = await chat({ ...userMessage("Return exactly: one two three four five"), [field]: 3 });
    const body = res.json();
    expect(body.choices[0].message.content).toBe("one two thre");
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(3);
  });

  it("answers with a tool call when tools are offered", async () => {
    const res = await chat({
      ...userMessage('Call tool: get_weather {"city":"Paris"}'),
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
    });
    const choice = res.json().choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);
  });

  it("answers 400 in OpenAI's envelope for bad JSON, a bad body and an empty body", async () => {
    const badJson = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: null, code: null },
    });

    const noMessages = await chat({ model: "gpt-4o-mini", messages: [] });
    expect(noMessages.statusCode).toBe(400);
    expect(noMessages.json().error.message).toMatch(/messages/);

    const empty = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.type).toBe("invalid_request_error");
  });

  it("accepts a form-encoded content type, as plain curl -d sends", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: JSON.stringify(userMessage("Return exactly: curl")),
    });
    expect(res.json().choices[0].message.content).toBe("curl");
  });

  it("answers 404 in OpenAI's envelope for unknown paths", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.type).toBe("invalid_request_error");
  });
});

describe("streaming", () => {
  it("sends the exact chunk sequence with usage and [DONE]", async () => {
    const res = await chat({
      ...userMessage("Return exactly: The quick brown fox"),
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = parseSse(res.body);
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = sseJson(res.body) as Array<Record<string, any>>;
    const first = chunks[0]!;
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: first.id,
        created: first.created,
        object: "chat.completion.chunk",
        model: "gpt-4o-mini",
        system_fingerprint: "fp_sim",
      });
      expect(chunk).toHaveProperty("usage");
    }
    expect(first.id).toMatch(/^chatcmpl-/);
    expect(first.choices).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
    ]);

    const content = chunks.slice(1, -2);
    expect(content.length).toBeGreaterThan(2);
    for (const chunk of content) {
      expect(chunk.choices[0].finish_reason).toBeNull();
      expect(chunk.usage).toBeNull();
    }
    expect(content.map((chunk) => chunk.choices[0].delta.content).join("")).toBe("The quick brown fox");

    const finish = chunks.at(-2)!;
    expect(finish.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
    expect(finish.usage).toBeNull();
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
  });

  it("leaves usage out without include_usage", async () => {
    const res = await chat({ ...userMessage("Return exactly: a b"), stream: true });
    const chunks = sseJson(res.body);
    for (const chunk of chunks) expect(chunk).not.toHaveProperty("usage");
    expect((chunks.at(-1) as any).choices[0].finish_reason).toBe("stop");
    expect(parseSse(res.body).at(-1)?.data).toBe("[DONE]");
  });

  it("streams the length finish reason", async () => {
    const res = await chat({ ...userMessage("Return exactly: one two three"), stream: true, max_tokens: 1 });
    const chunks = sseJson(res.body) as Array<Record<string, any>>;
    expect(
      chunks
        .slice(1, -1)
        .map((c) => c.choices[0].delta.content)
        .join(""),
    ).toBe("one ");
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe("length");
  });

  it("streams a tool call in pieces", async () => {
    const res = await chat({
      ...userMessage('Call tool: lookup {"q":"nats jetstream"}'),
      tools: [{ type: "function", function: { name: "lookup" } }],
      stream: true,
    });
    const chunks = sseJson(res.body) as Array<Record<string, any>>;
    expect(chunks[0]!.choices[0].delta).toEqual({ role: "assistant", content: null });
    const calls = chunks.slice(1, -1).map((c) => c.choices[0].delta.tool_calls[0]);
    expect(calls[0]).toMatchObject({
      index: 0,
      id: expect.stringMatching(/^call_/),
      type: "function",
      function: { name: "lookup", arguments: "" },
    });
    expect(calls.map((c) => c.function.arguments).join("")).toBe('{"q":"nats jetstream"}');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe("tool_calls");
  });
});

describe("logprobs", () => {
  const tokensOf = (logprobs: { content: Array<{ token: string }> }) => logprobs.content.map((t) => t.token);

  it("gives one entry per token, with top_logprobs alternatives, when asked", async () => {
    const res = await chat({ ...userMessage("Return exactly: The quick brown fox"), logprobs: true, top_logprobs: 2 });
    const choice = res.json().choices[0];
    expect(tokensOf(choice.logprobs).join("")).toBe("The quick brown fox");
    expect(choice.logprobs.refusal).toBeNull();
    for (const entry of choice.logprobs.content) {
      expect(entry.bytes).toEqual([...Buffer.from(entry.token, "utf8")]);
      expect(entry.top_logprobs).toHaveLength(2);
      expect(entry.top_logprobs[0]).toEqual({ token: entry.token, logprob: entry.logprob, bytes: entry.bytes });
      expect(entry.top_logprobs[1].logprob).toBeLessThan(entry.logprob);
    }
    const again = (
      await chat({ ...userMessage("Return exactly: The quick brown fox"), logprobs: true, top_logprobs: 2 })
    ).json().choices[0].logprobs;
    expect(again).toEqual(choice.logprobs);
  });

  it("streams each content chunk's tokens with it; role and finish chunks carry null", async () => {
    const res = await chat({ ...userMessage("Return exactly: The quick brown fox"), stream: true, logprobs: true });
    const chunks = sseJson(res.body) as Array<Record<string, any>>;
    expect(chunks[0]!.choices[0].logprobs).toBeNull();
    expect(chunks.at(-1)!.choices[0].logprobs).toBeNull();
    const content = chunks.slice(1, -1);
    for (const chunk of content) {
      const { delta, logprobs } = chunk.choices[0];
      expect(tokensOf(logprobs).join("")).toBe(delta.content);
      expect(logprobs.content[0].top_logprobs).toEqual([]);
    }
  });

  it("is null when not asked, and 400 for top_logprobs without logprobs", async () => {
    expect((await chat(userMessage("Return exactly: hi"))).json().choices[0].logprobs).toBeNull();
    const res = await chat({ ...userMessage("Return exactly: hi"), top_logprobs: 2 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/logprobs/);
  });
});

describe("GET /v1/models", () => {
  it("lists models in OpenAI's shape", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/models" });
    const body = res.json();
    expect(body.object).toBe("list");
    expect(body.data).toContainEqual({ id: "gpt-4o-mini", object: "model", created: 1721172741, owned_by: "system" });
  });

  it("describes any model id", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/models/my-model" });
    expect(res.json()).toMatchObject({ id: "my-model", object: "model" });
  });
});

describe("SIM_REQUIRE_KEY", () => {
  it("answers 401 in OpenAI's envelope without the exact key", async () => {
    const keyed = createSimApp({ requireKey: "sk-sim" });
    try {
      const payload = userMessage("Return exactly: ok");
      const missing = await keyed.inject({ method: "POST", url: "/v1/chat/completions", payload });
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toEqual({
        error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" },
      });
      const wrong = await keyed.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload,
        headers: { authorization: "Bearer sk-other" },
      });
      expect(wrong.statusCode).toBe(401);
      const right = await keyed.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload,
        headers: { authorization: "Bearer sk-sim" },
      });
      expect(right.statusCode).toBe(200);
    } finally {
      await keyed.close();
    }
  });

  it("accepts any key or none when unset", async () => {
    const res = await chat(userMessage("hi"), { authorization: "Bearer whatever" });
    expect(res.statusCode).toBe(200);
  });
});
