import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "./app.js";
import { parseSse, sseJson } from "./test-support/parse-sse.js";

let app: FastifyInstance;
beforeEach(() => {
  app = createSimApp();
});
afterEach(async () => {
  await app.close();
});

type Dialect = "openai" | "anthropic" | "gemini";

/** One request in a dialect, with the last user message `text`. */
function ask(dialect: Dialect, text: string, options: { stream?: boolean; headers?: Record<string, string> } = {}) {
  const { stream = false, headers = {} } = options;
  if (dialect === "openai") {
    return app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers,
      payload: { model: "gpt-4o-mini", stream, messages: [{ role: "user", content: text }] },
    });
  }
  if (dialect === "anthropic") {
    return app.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { "anthropic-version": "2023-06-01", ...headers },
      payload: { model: "claude-sonnet-4-5", max_tokens: 256, stream, messages: [{ role: "user", content: text }] },
    });
  }
  const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
  return app.inject({
    method: "POST",
    url: `/v1beta/models/gemini-2.5-flash:${method}`,
    headers,
    payload: { contents: [{ role: "user", parts: [{ text }] }] },
  });
}

const addFault = async (fault: object) => {
  const res = await app.inject({ method: "POST", url: "/_sim/faults", payload: fault });
  expect(res.statusCode).toBe(201);
};

/** The answer text of a JSON response in any dialect. */
function textOf(dialect: Dialect, body: any): string {
  if (dialect === "openai") return body.choices[0].message.content;
  if (dialect === "anthropic") return body.content[0].text;
  return body.candidates[0].content.parts[0].text;
}

function finishOf(dialect: Dialect, body: any): string {
  if (dialect === "openai") return body.choices[0].finish_reason;
  if (dialect === "anthropic") return body.stop_reason;
  return body.candidates[0].finishReason;
}

/** Text pieces of a stream in any dialect, in order. */
function streamedPieces(dialect: Dialect, body: string): string[] {
  const events = sseJson(body) as any[];
  if (dialect === "openai")
    return events.filter((e) => e.choices?.[0]?.delta?.content).map((e) => e.choices[0].delta.content);
  if (dialect === "anthropic") return events.filter((e) => e.type === "content_block_delta").map((e) => e.delta.text);
  return events.filter((e) => e.candidates).map((e) => e.candidates[0].content.parts[0].text);
}

const dialects: Dialect[] = ["openai", "anthropic", "gemini"];

describe("status faults", () => {
  it.each([
    ["openai", 500, { error: { message: "simulated failure", type: "server_error", param: null, code: null } }],
    [
      "openai",
      429,
      { error: { message: "simulated failure", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } },
    ],
    [
      "openai",
      400,
      { error: { message: "simulated failure", type: "invalid_request_error", param: null, code: null } },
    ],
    ["anthropic", 529, { type: "error", error: { type: "overloaded_error", message: "simulated failure" } }],
    ["anthropic", 429, { type: "error", error: { type: "rate_limit_error", message: "simulated failure" } }],
    ["anthropic", 500, { type: "error", error: { type: "api_error", message: "simulated failure" } }],
    ["gemini", 429, { error: { code: 429, message: "simulated failure", status: "RESOURCE_EXHAUSTED" } }],
    ["gemini", 503, { error: { code: 503, message: "simulated failure", status: "UNAVAILABLE" } }],
    ["gemini", 500, { error: { code: 500, message: "simulated failure", status: "INTERNAL" } }],
  ] as const)("%s %i has the dialect's envelope", async (dialect, status, envelope) => {
    await addFault({ match: "tok-status", status, retry_after: 3 });
    const res = await ask(dialect, "hello tok-status");
    expect(res.statusCode).toBe(status);
    expect(res.headers["retry-after"]).toBe("3");
    expect(res.json()).toEqual(envelope);
    expect((await ask(dialect, "hello tok-status")).statusCode).toBe(200);
  });

  it("applies to streaming requests too, before any stream starts", async () => {
    await addFault({ status: 503 });
    const res = await ask("openai", "x", { stream: true });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("takes message, type, code and param overrides", async () => {
    await addFault({
      status: 400,
      message: "too long",
      error_code: "context_length_exceeded",
      error_param: "messages",
    });
    expect((await ask("openai", "x")).json().error).toEqual({
      message: "too long",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    });
    await addFault({ status: 400, error_type: "FAILED_PRECONDITION" });
    expect((await ask("gemini", "x")).json().error.status).toBe("FAILED_PRECONDITION");
  });
});

describe("rule selection", () => {
  it("fires only on matching requests, times times, in creation order", async () => {
    await addFault({ match: "tok-m", status: 503, times: 2 });
    await addFault({ match: "tok-m", status: 429 });
    expect((await ask("openai", "unrelated")).statusCode).toBe(200);
    expect((await ask("openai", "a tok-m")).statusCode).toBe(503);
    expect((await ask("anthropic", "b tok-m")).statusCode).toBe(503);
    expect((await ask("gemini", "c tok-m")).statusCode).toBe(429);
    expect((await ask("openai", "d tok-m")).statusCode).toBe(200);
  });

  it("keeps sticky rules until deleted", async () => {
    await addFault({ match: "tok-sticky", status: 500, sticky: true });
    for (let i = 0; i < 3; i++) expect((await ask("openai", "tok-sticky")).statusCode).toBe(500);
    await app.inject({ method: "DELETE", url: "/_sim/faults" });
    expect((await ask("openai", "tok-sticky")).statusCode).toBe(200);
  });

  it("matches the last user message, not earlier ones", async () => {
    await addFault({ match: "tok-old", status: 500 });
    const res = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: {
        model: "m",
        messages: [
          { role: "user", content: "tok-old" },
          { role: "assistant", content: "ok" },
          { role: "user", content: "new" },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe("x-sim-fault header", () => {
  it("applies to that one request and leaves the registry alone", async () => {
    await addFault({ status: 418 });
    const res = await ask("openai", "x", { headers: { "x-sim-fault": "status=500;retry_after=1" } });
    expect(res.statusCode).toBe(500);
    expect(res.headers["retry-after"]).toBe("1");
    expect((await ask("openai", "x")).statusCode).toBe(418);
    expect((await ask("openai", "x")).statusCode).toBe(200);
  });

  it("honours match", async () => {
    expect((await ask("openai", "x", { headers: { "x-sim-fault": "match=tok-h;status=500" } })).statusCode).toBe(200);
    expect((await ask("openai", "tok-h", { headers: { "x-sim-fault": "match=tok-h;status=500" } })).statusCode).toBe(
      500,
    );
  });

  it("answers 400 in the dialect's envelope when malformed", async () => {
    const res = await ask("anthropic", "x", { headers: { "x-sim-fault": "explode" } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringMatching(/explode/) },
    });
  });
});

describe.each(dialects)("answer faults (%s)", (dialect) => {
  it("empty answers with empty content and a normal finish", async () => {
    await addFault({ match: "tok-e", empty: true });
    const body = (await ask(dialect, "Return exactly: not this tok-e")).json();
    expect(textOf(dialect, body)).toBe("");
    expect(["stop", "end_turn", "STOP"]).toContain(finishOf(dialect, body));
  });

  it("empty streams no content", async () => {
    await addFault({ match: "tok-es", empty: true });
    const res = await ask(dialect, "Return exactly: not this tok-es", { stream: true });
    expect(streamedPieces(dialect, res.body).join("")).toBe("");
  });

  it("blank answers with whitespace only and a normal finish", async () => {
    await addFault({ match: "tok-b", blank: true });
    const body = (await ask(dialect, "Return exactly: not this tok-b")).json();
    expect(textOf(dialect, body)).toBe("\n\n");
    expect(["stop", "end_turn", "STOP"]).toContain(finishOf(dialect, body));
  });

  it("blank streams whitespace only", async () => {
    await addFault({ match: "tok-bs", blank: true });
    const res = await ask(dialect, "Return exactly: not this tok-bs", { stream: true });
    expect(streamedPieces(dialect, res.body)).toEqual(["\n\n"]);
  });

  it("finish_reason is reported verbatim", async () => {
    await addFault({ match: "tok-f", finish_reason: "banana" });
    expect(finishOf(dialect, (await ask(dialect, "tok-f")).json())).toBe("banana");
  });

  it("truncate_after cuts a JSON body short", async () => {
    await addFault({ match: "tok-t", truncate_after: 20 });
    const res = await ask(dialect, "tok-t");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toHaveLength(20);
    expect(() => JSON.parse(res.body)).toThrow();
  });

  it("truncate_after destroys a stream", async () => {
    await addFault({ match: "tok-ts", truncate_after: 2 });
    await expect(ask(dialect, "Return exactly: one two three four tok-ts", { stream: true })).rejects.toThrow(
      /destroyed/,
    );
  });

  it("error_after sends an error event after N chunks and no proper end", async () => {
    await addFault({ match: "tok-ea", error_after: 2 });
    const res = await ask(dialect, "Return exactly: one two three four five tok-ea", { stream: true });
    expect(res.statusCode).toBe(200);
    expect(streamedPieces(dialect, res.body)).toEqual(["one", " two"]);
    const last = parseSse(res.body).at(-1)!;
    const payload = JSON.parse(last.data);
    if (dialect === "anthropic") {
      expect(last.event).toBe("error");
      expect(payload).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
      expect(res.body).not.toContain("message_stop");
    } else {
      expect(payload.error).toMatchObject({ message: expect.any(String) });
      expect(res.body).not.toContain("[DONE]");
    }
  });

  it("latency_ms delays the answer", async () => {
    await addFault({ match: "tok-l", latency_ms: 120 });
    const started = performance.now();
    expect((await ask(dialect, "tok-l")).statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("chunk_delay_ms paces the stream", async () => {
    await addFault({ match: "tok-c", chunk_delay_ms: 30 });
    const started = performance.now();
    const res = await ask(dialect, "Return exactly: one two three four tok-c", { stream: true });
    // Four content pieces (three for Gemini, whose last piece rides in the final response) plus the tail.
    expect(performance.now() - started).toBeGreaterThanOrEqual(dialect === "gemini" ? 110 : 140);
    expect(streamedPieces(dialect, res.body).join("")).toBe("one two three four tok-c");
  });
});

describe("other fault combinations", () => {
  it("retry_after without a status still sets the header", async () => {
    await addFault({ retry_after: 7 });
    const res = await ask("openai", "x");
    expect(res.statusCode).toBe(200);
    expect(res.headers["retry-after"]).toBe("7");
  });

  it("adds SIM_LATENCY_MS to every inference response", async () => {
    const slow = createSimApp({ latencyMs: 80 });
    try {
      const started = performance.now();
      await slow.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: { model: "m", messages: [{ role: "user", content: "x" }] },
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    } finally {
      await slow.close();
    }
  });

  it("error_after beyond the last chunk still breaks the stream before it finishes", async () => {
    await addFault({ error_after: 100 });
    const res = await ask("openai", "Return exactly: a b", { stream: true });
    const chunks = sseJson(res.body) as any[];
    expect(chunks.at(-1)).toHaveProperty("error");
    expect(chunks.some((c) => c.choices?.[0]?.finish_reason)).toBe(false);
  });
});
