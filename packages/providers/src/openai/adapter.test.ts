import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { UpstreamRateLimitedError } from "@switchyard/contracts";
import { fixture } from "../test-support/fixtures.js";
import { createOpenAIAdapter } from "./adapter.js";

const route = {
  id: "openai-mini",
  dialect: "openai",
  baseUrl: "https://api.openai.test/v1",
  upstreamModel: "gpt-4o-mini-2024-07-18",
  apiKey: "sk-test",
  timeoutMs: 5000,
};

describe("createOpenAIAdapter", () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(() => agent.close());

  it("posts to {baseUrl}/chat/completions with a bearer key and the mapped body", async () => {
    let seen: { headers: Record<string, string>; body: Record<string, unknown> } | undefined;
    agent
      .get("https://api.openai.test")
      .intercept({ path: "/v1/chat/completions", method: "POST" })
      .reply(200, (opts) => {
        seen = {
          headers: opts.headers as Record<string, string>,
          body: JSON.parse(String(opts.body)) as Record<string, unknown>,
        };
        return fixture(import.meta.url, "chat-completion.json");
      });
    const result = await createOpenAIAdapter(route, agent).chat(
      {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
        temperature: 0.3,
        response_format: { type: "json_object" },
      },
      { signal: AbortSignal.timeout(5000) },
    );
    expect(seen?.headers.authorization).toBe("Bearer sk-test");
    expect(seen?.body).toEqual({
      model: "gpt-4o-mini-2024-07-18",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.3,
      response_format: { type: "json_object" },
      stream: false,
    });
    expect(result.httpStatus).toBe(200);
    expect(result.completion.choices[0]?.message.content).toBe("Hello! How can I assist you today?");
    expect(result.usage.total_tokens).toBe(29);
  });

  it("turns a 429 into a rate-limit error with the server's delay", async () => {
    agent
      .get("https://api.openai.test")
      .intercept({ path: "/v1/chat/completions", method: "POST" })
      .reply(429, fixture(import.meta.url, "error-rate-limit.json"), {
        headers: { "retry-after-ms": "157", "retry-after": "1" },
      });
    const call = createOpenAIAdapter(route, agent).chat(
      { model: "m", messages: [{ role: "user", content: "hi" }] },
      { signal: AbortSignal.timeout(5000) },
    );
    await expect(call).rejects.toBeInstanceOf(UpstreamRateLimitedError);
    await expect(call).rejects.toMatchObject({
      retryAfterMs: 157,
      message: "upstream returned 429 (rate_limit_exceeded)",
    });
  });
});
