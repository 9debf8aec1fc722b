import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { UpstreamUnavailableError } from "@switchyard/contracts";
import { fixture, fixtureText } from "../test-support/fixtures.js";
import { collect, joinedContent } from "../test-support/stream.js";
import { ANTHROPIC_VERSION, createAnthropicAdapter } from "./adapter.js";

const route = {
  id: "claude",
  dialect: "anthropic",
  baseUrl: "https://api.anthropic.test",
  upstreamModel: "claude-sonnet-4-5-20250929",
  apiKey: "sk-ant-test",
  timeoutMs: 5000,
};

describe("createAnthropicAdapter", () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(() => agent.close());

  it("posts to /v1/messages with x-api-key and anthropic-version", async () => {
    let headers: Record<string, string> = {};
    let body: Record<string, unknown> = {};
    agent
      .get("https://api.anthropic.test")
      .intercept({ path: "/v1/messages", method: "POST" })
      .reply(200, (opts) => {
        headers = opts.headers as Record<string, string>;
        body = JSON.parse(String(opts.body)) as Record<string, unknown>;
        return fixture(import.meta.url, "message.json");
      });
    const result = await createAnthropicAdapter(route, agent).chat(
      {
        model: "claude-sonnet-4-5",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "hi" },
        ],
      },
      { signal: AbortSignal.timeout(5000) },
    );
    expect(headers["x-api-key"]).toBe("sk-ant-test");
    expect(headers["anthropic-version"]).toBe(ANTHROPIC_VERSION);
    expect(headers.authorization).toBeUndefined();
    expect(body).toMatchObject({ model: "claude-sonnet-4-5-20250929", system: "Be brief.", max_tokens: 4096 });
    expect(result.completion.choices[0]?.message.content).toBe("Hi! My name is Claude.");
    expect(result.usage.total_tokens).toBe(2598);
  });

  it("treats 529 overloaded as a retryable outage", async () => {
    agent
      .get("https://api.anthropic.test")
      .intercept({ path: "/v1/messages", method: "POST" })
      .reply(529, fixture(import.meta.url, "error-overloaded.json"));
    const call = createAnthropicAdapter(route, agent).chat(
      { model: "m", messages: [{ role: "user", content: "hi" }] },
      { signal: AbortSignal.timeout(5000) },
    );
    await expect(call).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(call).rejects.toMatchObject({ message: "upstream returned 529 (overloaded_error)", retryable: true });
  });

  it("streams: posts stream: true to /v1/messages and yields the answer", async () => {
    let body: Record<string, unknown> = {};
    let headers: Record<string, string> = {};
    agent
      .get("https://api.anthropic.test")
      .intercept({ path: "/v1/messages", method: "POST" })
      .reply(
        200,
        (opts) => {
          headers = opts.headers as Record<string, string>;
          body = JSON.parse(String(opts.body)) as Record<string, unknown>;
          return fixtureText(import.meta.url, "stream.sse");
        },
        { headers: { "content-type": "text/event-stream" } },
      );
    const events = await collect(
      createAnthropicAdapter(route, agent).chatStream(
        { model: "m", messages: [{ role: "user", content: "hi" }] },
        { signal: AbortSignal.timeout(5000) },
      ),
    );
    expect(body).toMatchObject({ model: route.upstreamModel, stream: true });
    expect(headers.accept).toBe("text/event-stream");
    expect(joinedContent(events)).toBe("Hello!");
    expect(events.slice(-2)).toEqual([
      { type: "usage", usage: expect.objectContaining({ prompt_tokens: 25, completion_tokens: 15 }) },
      { type: "finish", finishReason: "stop", httpStatus: 200 },
    ]);
  });

  describe("structured output (response_format json_schema)", () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, celsius: { type: "number" } },
      required: ["city", "celsius"],
      additionalProperties: false,
    };
    const request = {
      model: "claude-sonnet-4-5",
      messages: [{ role: "user" as const, content: "Weather in Oslo?" }],
      response_format: { type: "json_schema" as const, json_schema: { name: "weather", strict: true, schema } },
    };
    const answer = (fixtureName: string, sse: boolean) => {
      const seen: { body: Record<string, unknown>; headers: Record<string, string> } = { body: {}, headers: {} };
      agent
        .get("https://api.anthropic.test")
        .intercept({ path: "/v1/messages", method: "POST" })
        .reply(
          200,
          (opts) => {
            seen.headers = opts.headers as Record<string, string>;
            seen.body = JSON.parse(String(opts.body)) as Record<string, unknown>;
            return sse ? fixtureText(import.meta.url, fixtureName) : fixture(import.meta.url, fixtureName);
          },
          sse ? { headers: { "content-type": "text/event-stream" } } : {},
        );
      return seen;
    };
    const sentOnlyOutputConfig = (seen: { body: Record<string, unknown>; headers: Record<string, string> }) => {
      expect(seen.body.output_config).toEqual({ format: { type: "json_schema", schema } });
      expect(seen.body).not.toHaveProperty("response_format");
      // The GA form needs no beta header.
      expect(seen.headers["anthropic-beta"]).toBeUndefined();
    };

    it("sends output_config and answers the JSON text as message.content, finish stop", async () => {
      const seen = answer("message-json-output.json", false);
      const result = await createAnthropicAdapter(route, agent).chat(request, { signal: AbortSignal.timeout(5000) });
      sentOnlyOutputConfig(seen);
      const choice = result.completion.choices[0];
      expect(choice?.finish_reason).toBe("stop");
      expect(JSON.parse(choice?.message.content ?? "")).toEqual({ city: "Oslo", celsius: 4.5 });
    });

    it("streams the JSON text as content deltas, finish stop", async () => {
      const seen = answer("stream-json-output.sse", true);
      const events = await collect(
        createAnthropicAdapter(route, agent).chatStream(request, { signal: AbortSignal.timeout(5000) }),
      );
      sentOnlyOutputConfig(seen);
      expect(seen.body.stream).toBe(true);
      expect(JSON.parse(joinedContent(events))).toEqual({ city: "Oslo", celsius: 4.5 });
      expect(events.at(-1)).toEqual({ type: "finish", finishReason: "stop", httpStatus: 200 });
    });
  });
});
