import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { UnusableOutputError, UpstreamRateLimitedError } from "@switchyard/contracts";
import { fixture, fixtureText } from "../test-support/fixtures.js";
import { collect, joinedContent } from "../test-support/stream.js";
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

  it("streams: posts stream: true with include_usage and yields deltas, usage, then finish", async () => {
    let body: Record<string, unknown> = {};
    agent
      .get("https://api.openai.test")
      .intercept({ path: "/v1/chat/completions", method: "POST" })
      .reply(
        200,
        (opts) => {
          body = JSON.parse(String(opts.body)) as Record<string, unknown>;
          return fixtureText(import.meta.url, "stream.sse");
        },
        { headers: { "content-type": "text/event-stream" } },
      );
    const events = await collect(
      createOpenAIAdapter(route, agent).chatStream(
        { model: "m", messages: [{ role: "user", content: "hi" }] },
        { signal: AbortSignal.timeout(5000) },
      ),
    );
    expect(body).toMatchObject({ model: route.upstreamModel, stream: true, stream_options: { include_usage: true } });
    expect(joinedContent(events)).toBe("Hello!");
    expect(events.slice(-2)).toEqual([
      { type: "usage", usage: expect.objectContaining({ total_tokens: 21 }) },
      { type: "finish", finishReason: "stop", httpStatus: 200 },
    ]);
  });

  describe("generateImages", () => {
    const png = Buffer.from(
      fixture<{ data: Array<{ b64_json: string }> }>(import.meta.url, "images-gpt-image.json").data[0]!.b64_json,
      "base64",
    );
    const images = () =>
      agent.get("https://api.openai.test").intercept({ path: "/v1/images/generations", method: "POST" });
    const generate = (model = "gpt-image-1") =>
      createOpenAIAdapter({ ...route, upstreamModel: model }, agent).generateImages(
        { prompt: "a lighthouse", size: "1024x1024" },
        { signal: AbortSignal.timeout(5000) },
      );

    it("decodes b64_json images and maps usage and settings", async () => {
      let body: Record<string, unknown> = {};
      images().reply(200, (opts) => {
        body = JSON.parse(String(opts.body)) as Record<string, unknown>;
        return fixture(import.meta.url, "images-gpt-image.json");
      });
      const result = await generate();
      expect(body).toEqual({ prompt: "a lighthouse", size: "1024x1024", model: "gpt-image-1" });
      expect(result.images).toEqual([{ bytes: png, contentType: "image/png" }]);
      expect(result.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 272, total_tokens: 322 });
      expect(result.extra).toMatchObject({ size: "1024x1024", output_format: "png" });
      expect(result).toMatchObject({ created: 1744301234, httpStatus: 200 });
    });

    it("downloads URL items through the same dispatcher, without the API key", async () => {
      let downloadHeaders: Record<string, string> = {};
      images().reply(200, fixture(import.meta.url, "images-dall-e-url.json"));
      agent
        .get("https://images.openai.test")
        .intercept({ path: (path) => path.startsWith("/private/img-abc.png?"), method: "GET" })
        .reply(
          200,
          (opts) => {
            downloadHeaders = opts.headers as Record<string, string>;
            return png;
          },
          { headers: { "content-type": "image/png" } },
        );
      const result = await generate("dall-e-3");
      expect(downloadHeaders.authorization).toBeUndefined();
      expect(result.images).toEqual([
        {
          bytes: png,
          contentType: "image/png",
          revisedPrompt: "A lighthouse on a rocky coast at dusk, painted in watercolor.",
        },
      ]);
      expect(result.usage).toBeNull();
    });

    it.each([
      [
        "bytes that are not the stated format",
        { output_format: "jpeg", data: [{ b64_json: png.toString("base64") }] },
        "upstream returned bytes that are not image/jpeg",
      ],
      ["an empty image", { data: [{ b64_json: "" }] }, "upstream returned an empty image"],
      [
        "an HTML page",
        { data: [{ b64_json: Buffer.from("<html>nope</html>").toString("base64") }] },
        "upstream returned bytes that are not image/png",
      ],
      ["no images", { data: [] }, "upstream returned no images"],
    ])("rejects %s as unusable", async (_name, answer, message) => {
      images().reply(200, answer);
      const call = generate();
      await expect(call).rejects.toBeInstanceOf(UnusableOutputError);
      await expect(call).rejects.toThrow(message);
    });
  });
});
