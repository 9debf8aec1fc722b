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

const generate = (method: string, payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: `/v1beta/models/gemini-2.5-flash:${method}`, headers, payload });

const ask = (text: string) => ({ contents: [{ role: "user", parts: [{ text }] }] });

describe("generateContent", () => {
  it("answers in the exact Gemini shape", async () => {
    const res = await generate("generateContent", {
      systemInstruction: { parts: [{ text: "Be brief." }] },
      ...ask("Return exactly: Hello, world!"),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      candidates: [{ content: { role: "model", parts: [{ text: "Hello, world!" }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 17, candidatesTokenCount: 4, totalTokenCount: 21 },
      modelVersion: "gemini-2.5-flash",
      responseId: expect.any(String),
    });
  });

  it("treats a content without role as the user's and stops at maxOutputTokens", async () => {
    const res = await generate("generateContent", {
      contents: [{ parts: [{ text: "Return exactly: abcdefghijkl" }] }],
      generationConfig: { maxOutputTokens: 2 },
    });
    expect(res.json().candidates[0]).toMatchObject({
      content: { parts: [{ text: "abcdefgh" }] },
      finishReason: "MAX_TOKENS",
    });
  });

  it("answers with a functionCall when tools are offered", async () => {
    const res = await generate("generateContent", {
      ...ask('Call tool: get_weather {"city":"Paris"}'),
      tools: [{ functionDeclarations: [{ name: "get_weather" }] }],
    });
    expect(res.json().candidates[0].content.parts).toEqual([
      { functionCall: { name: "get_weather", args: { city: "Paris" } } },
    ]);
  });

  it("answers errors in Google's envelope", async () => {
    const badJson = await app.inject({
      method: "POST",
      url: "/v1beta/models/gemini-2.5-flash:generateContent",
      headers: { "content-type": "application/json" },
      payload: "{",
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toEqual({ error: { code: 400, message: expect.any(String), status: "INVALID_ARGUMENT" } });
    const noContents = await generate("generateContent", { contents: [] });
    expect(noContents.json().error.status).toBe("INVALID_ARGUMENT");
    const unknownMethod = await generate("countTokens", ask("x"));
    expect(unknownMethod.statusCode).toBe(404);
    expect(unknownMethod.json().error.status).toBe("NOT_FOUND");
  });

  it("checks the key from the header or the query when SIM_REQUIRE_KEY is set", async () => {
    const keyed = createSimApp({ requireKey: "g-key" });
    try {
      const url = "/v1beta/models/gemini-2.5-flash:generateContent";
      const missing = await keyed.inject({ method: "POST", url, payload: ask("x") });
      expect(missing.statusCode).toBe(403);
      expect(missing.json().error.status).toBe("PERMISSION_DENIED");
      const wrong = await keyed.inject({
        method: "POST",
        url,
        headers: { "x-goog-api-key": "bad" },
        payload: ask("x"),
      });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().error.details[0].reason).toBe("API_KEY_INVALID");
      expect(
        (await keyed.inject({ method: "POST", url, headers: { "x-goog-api-key": "g-key" }, payload: ask("x") }))
          .statusCode,
      ).toBe(200);
      expect((await keyed.inject({ method: "POST", url: `${url}?key=g-key`, payload: ask("x") })).statusCode).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});

describe("streamGenerateContent", () => {
  it("streams partial responses with usage on the last (alt=sse)", async () => {
    const res = await generate("streamGenerateContent?alt=sse", ask("Return exactly: The quick brown fox"));
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const chunks = parseSse(res.body).map((e) => JSON.parse(e.data));
    expect(chunks.length).toBeGreaterThan(2);
    const ids = new Set(chunks.map((c) => c.responseId));
    expect(ids.size).toBe(1);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.usageMetadata).toBeUndefined();
      expect(chunk.candidates[0].finishReason).toBeUndefined();
    }
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text).join("")).toBe("The quick brown fox");
    expect(chunks.at(-1)).toMatchObject({
      candidates: [{ content: { role: "model" }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 },
      modelVersion: "gemini-2.5-flash",
    });
  });

  it("answers a JSON array without alt=sse", async () => {
    const res = await generate("streamGenerateContent", ask("Return exactly: a b c"));
    const body = res.json();
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((c: any) => c.candidates[0].content.parts[0].text).join("")).toBe("a b c");
    expect(body.at(-1).usageMetadata.totalTokenCount).toBeGreaterThan(0);
  });
});

describe("Gemini 3 thought signatures", () => {
  const tools = [{ functionDeclarations: [{ name: "get_weather" }] }];
  const call = { functionCall: { name: "get_weather", args: { city: "Paris" } } };
  const on = (model: string, method: string, payload: object) =>
    app.inject({ method: "POST", url: `/v1beta/models/${model}:${method}`, payload });
  /** Turn 1's question, the model's call as `modelPart`, and its result: what turn 2 sends. */
  const replay = (modelPart: object) => ({
    contents: [
      { role: "user", parts: [{ text: 'Call tool: get_weather {"city":"Paris"}' }] },
      { role: "model", parts: [modelPart] },
      { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp: 21 } } }] },
    ],
    tools,
  });

  it("signs the function call it answers with, unstreamed and streamed", async () => {
    const asked = { ...ask('Call tool: get_weather {"city":"Paris"}'), tools };
    const json = await on("gemini-3.1-pro-preview", "generateContent", asked);
    expect(json.json().candidates[0].content.parts).toEqual([{ ...call, thoughtSignature: expect.any(String) }]);
    const sse = await on("gemini-3.1-pro-preview", "streamGenerateContent?alt=sse", asked);
    const last = JSON.parse(parseSse(sse.body).at(-1)?.data ?? "{}");
    expect(last.candidates[0].content.parts[0].thoughtSignature).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it("refuses a history whose function call lacks its signature, in Google's error body", async () => {
    const res = await on("gemini-3.1-pro-preview", "generateContent", replay(call));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: 400,
        message: expect.stringContaining(
          "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly",
        ),
        status: "INVALID_ARGUMENT",
      },
    });
    expect(res.json().error.message).toContain("function call `default_api:get_weather` , position 2.");
  });

  it("takes the history back with the signature it gave, or with Google's documented skip value", async () => {
    const asked = { ...ask('Call tool: get_weather {"city":"Paris"}'), tools };
    const [part] = (await on("gemini-3.1-pro-preview", "generateContent", asked)).json().candidates[0].content.parts;
    for (const modelPart of [part, { ...call, thoughtSignature: "skip_thought_signature_validator" }]) {
      const res = await on("gemini-3.1-pro-preview", "generateContent", replay(modelPart));
      expect(res.statusCode).toBe(200);
      expect(res.json().candidates[0].content.parts[0].text).toEqual(expect.any(String));
    }
  });

  it("checks only the current turn, as Google does: an unsigned call before the last user text passes", async () => {
    const older = replay(call);
    const later = { ...older, contents: [...older.contents, { role: "user", parts: [{ text: "thanks" }] }] };
    expect((await on("gemini-3.1-pro-preview", "generateContent", later)).statusCode).toBe(200);
  });

  it("leaves Gemini 2.5 alone: it neither signs nor refuses", async () => {
    const asked = { ...ask('Call tool: get_weather {"city":"Paris"}'), tools };
    expect((await generate("generateContent", asked)).json().candidates[0].content.parts).toEqual([call]);
    expect((await generate("generateContent", replay(call))).statusCode).toBe(200);
  });
});
