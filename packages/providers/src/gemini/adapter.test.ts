import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { UpstreamRateLimitedError, UpstreamRejectedError } from "@switchyard/contracts";
import { getUpstreamStatus } from "../base/classify.js";
import { fixture, fixtureText } from "../test-support/fixtures.js";
import { collect, joinedContent } from "../test-support/stream.js";
import { createGeminiAdapter } from "./adapter.js";

const route = {
  id: "gemini",
  dialect: "gemini",
  baseUrl: "https://generativelanguage.googleapis.test",
  upstreamModel: "gemini-2.5-flash",
  apiKey: "AIza-test",
  timeoutMs: 5000,
};
const path = "/v1beta/models/gemini-2.5-flash:generateContent";

describe("createGeminiAdapter", () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(() => agent.close());

  it("posts to models/{model}:generateContent with x-goog-api-key", async () => {
    let headers: Record<string, string> = {};
    agent
      .get(route.baseUrl)
      .intercept({ path, method: "POST" })
      .reply(200, (opts) => {
        headers = opts.headers as Record<string, string>;
        return fixture(import.meta.url, "generate-content.json");
      });
    const result = await createGeminiAdapter(route, agent).chat(
      { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] },
      { signal: AbortSignal.timeout(5000) },
    );
    expect(headers["x-goog-api-key"]).toBe("AIza-test");
    expect(result.completion.choices[0]?.message.content).toBe("AI learns patterns from data to make predictions.");
    expect(result.usage.total_tokens).toBe(18);
  });

  it("takes a 429's delay from RetryInfo when there is no Retry-After header", async () => {
    agent
      .get(route.baseUrl)
      .intercept({ path, method: "POST" })
      .reply(429, fixture(import.meta.url, "error-rate-limit.json"));
    const call = createGeminiAdapter(route, agent).chat(
      { model: "m", messages: [{ role: "user", content: "hi" }] },
      { signal: AbortSignal.timeout(5000) },
    );
    await expect(call).rejects.toBeInstanceOf(UpstreamRateLimitedError);
    await expect(call).rejects.toMatchObject({
      retryAfterMs: 37_000,
      message: "upstream returned 429 (RESOURCE_EXHAUSTED)",
    });
  });

  it("takes a wrong key's 400 for the 401 it is: the route's fault, not the client's request", async () => {
    agent
      .get(route.baseUrl)
      .intercept({ path, method: "POST" })
      .reply(400, fixture(import.meta.url, "error-invalid-argument.json"));
    const call = createGeminiAdapter(route, agent).chat(
      { model: "m", messages: [{ role: "user", content: "hi" }] },
      { signal: AbortSignal.timeout(5000) },
    );
    await expect(call).rejects.toBeInstanceOf(UpstreamRejectedError);
    // As the other dialects' 401: a 502 to the client, where a 400 would blame its request.
    await expect(call).rejects.toMatchObject({
      status: 502,
      retryable: false,
      message: "upstream returned 400 (API_KEY_INVALID)",
    });
    expect(getUpstreamStatus(await call.catch((error: unknown) => error))).toBe(400);
  });

  it("streams from :streamGenerateContent?alt=sse", async () => {
    agent
      .get(route.baseUrl)
      .intercept({ path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", method: "POST" })
      .reply(200, fixtureText(import.meta.url, "stream.sse"), { headers: { "content-type": "text/event-stream" } });
    const events = await collect(
      createGeminiAdapter(route, agent).chatStream(
        { model: "m", messages: [{ role: "user", content: "hi" }] },
        { signal: AbortSignal.timeout(5000) },
      ),
    );
    expect(joinedContent(events)).toBe("Hello there!");
    expect(events.slice(-2)).toEqual([
      { type: "usage", usage: expect.objectContaining({ total_tokens: 11 }) },
      { type: "finish", finishReason: "stop", httpStatus: 200 },
    ]);
  });
});
