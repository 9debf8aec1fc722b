import { describe, expect, it } from "vitest";
import { UnusableOutputError, UpstreamUnavailableError } from "@switchyard/contracts";
import { validateCompletion } from "../base/validate.js";
import { fixture, fixtureText } from "../test-support/fixtures.js";
import { decodeAll, joinedContent } from "../test-support/stream.js";
import { createOpenAIStreamDecoder, fromOpenAIImagesResponse, fromOpenAIResponse } from "./response.js";

const fallback = { model: "gpt-4o-mini", created: 1_700_000_000 };
const map = (name: string) => validateCompletion(fromOpenAIResponse(fixture(import.meta.url, name), fallback));

describe("fromOpenAIResponse", () => {
  it("keeps a recorded completion as it is", () => {
    const recorded = fixture(import.meta.url, "chat-completion.json");
    expect(map("chat-completion.json")).toEqual(recorded);
  });

  it("keeps tool calls and fills the usage details the server left out", () => {
    const completion = map("chat-completion-tool-calls.json");
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]?.message.tool_calls?.[0]?.function.name).toBe("get_current_weather");
    expect(completion.usage.prompt_tokens_details).toEqual({ cached_tokens: 0, audio_tokens: 0 });
  });

  it("maps cached and reasoning tokens", () => {
    const completion = map("chat-completion-reasoning-cached.json");
    expect(completion.usage.prompt_tokens_details?.cached_tokens).toBe(1920);
    expect(completion.usage.completion_tokens_details?.reasoning_tokens).toBe(192);
    expect(completion.choices[0]?.logprobs).toBeNull();
  });

  it("fills envelope fields a compatible server omitted and drops empty tool_calls", () => {
    const mapped = fromOpenAIResponse(
      { choices: [{ message: { role: "assistant", content: "ok", tool_calls: [] }, finish_reason: "stop" }] },
      fallback,
    );
    const completion = validateCompletion(mapped);
    expect(completion).toMatchObject({ object: "chat.completion", created: 1_700_000_000, model: "gpt-4o-mini" });
    expect(completion.choices[0]).toMatchObject({ index: 0, logprobs: null });
    expect(completion.choices[0]?.message).not.toHaveProperty("tool_calls");
  });

  it("keeps logprobs and the system fingerprint of a completion", () => {
    const logprobs = { content: [{ token: "ok", logprob: -0.1, bytes: [111, 107], top_logprobs: [] }], refusal: null };
    const completion = validateCompletion(
      fromOpenAIResponse(
        {
          system_fingerprint: "fp_x",
          choices: [{ message: { role: "assistant", content: "ok" }, logprobs, finish_reason: "stop" }],
        },
        fallback,
      ),
    );
    expect(completion.system_fingerprint).toBe("fp_x");
    expect(completion.choices[0]?.logprobs).toEqual(logprobs);
  });

  it("leaves empty output for validation to reject", () => {
    expect(() => map("chat-completion-empty.json")).toThrow("upstream returned empty output");
  });
});

describe("createOpenAIStreamDecoder", () => {
  const decode = (name: string) => decodeAll(createOpenAIStreamDecoder(), fixtureText(import.meta.url, name));

  it("reads the recorded stream: role first, text deltas, finish, usage from the final chunk, [DONE]", () => {
    const parts = decode("stream.sse");
    expect(parts[0]).toEqual({ type: "delta", delta: { role: "assistant" }, systemFingerprint: "fp_06737a9306" });
    expect(joinedContent(parts)).toBe("Hello!");
    expect(parts.filter((p) => p.type === "finish")).toEqual([{ type: "finish", reason: "stop" }]);
    expect(parts.filter((p) => p.type === "usage")).toEqual([
      {
        type: "usage",
        usage: expect.objectContaining({ prompt_tokens: 19, completion_tokens: 2, total_tokens: 21 }),
        completionReported: true,
      },
    ]);
    expect(parts.at(-1)).toEqual({ type: "end" });
  });

  it("passes each chunk's logprobs on with its delta, and the fingerprint once", () => {
    const parts = decode("stream-logprobs.sse");
    const deltas = parts.filter((p) => p.type === "delta");
    // The role chunk's `{"content": []}` scores nothing and is not passed on.
    expect(deltas[0]).toEqual({ type: "delta", delta: { role: "assistant" }, systemFingerprint: "fp_0392822090" });
    expect(deltas.slice(1).map((p) => [p.delta.content, p.logprobs?.content?.map((t) => t["token"])])).toEqual([
      ["Hello", ["Hello"]],
      ["!", ["!"]],
    ]);
    expect(deltas[1]?.logprobs?.content?.[0]).toEqual({
      token: "Hello",
      logprob: -0.0009114635,
      bytes: [72, 101, 108, 108, 111],
      top_logprobs: [
        { token: "Hello", logprob: -0.0009114635, bytes: [72, 101, 108, 108, 111] },
        { token: "Hi", logprob: -7.0009117, bytes: [72, 105] },
      ],
    });
    expect(deltas.filter((p) => p.systemFingerprint !== undefined)).toHaveLength(1);
  });

  it("passes a changed fingerprint on, with an empty delta when the chunk has nothing else", () => {
    const chunk = (fingerprint: string, delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ system_fingerprint: fingerprint, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const parts = decodeAll(
      createOpenAIStreamDecoder(),
      chunk("fp_a", { content: "a" }) + chunk("fp_a", { content: "b" }) + chunk("fp_b", {}, "stop"),
    );
    expect(parts).toEqual([
      { type: "delta", delta: { content: "a" }, systemFingerprint: "fp_a" },
      { type: "delta", delta: { content: "b" } },
      { type: "delta", delta: {}, systemFingerprint: "fp_b" },
      { type: "finish", reason: "stop" },
    ]);
  });

  it("drops logprobs that are not in OpenAI's shape rather than passing them on", () => {
    const parts = decodeAll(
      createOpenAIStreamDecoder(),
      'data: {"choices":[{"index":0,"delta":{"content":"x"},"logprobs":{"content":[1,2]}}]}\n\n',
    );
    expect(parts).toEqual([{ type: "delta", delta: { content: "x" } }]);
  });

  it("passes tool call deltas through as OpenAI sends them", () => {
    const parts = decode("stream-tool-calls.sse");
    const calls = parts.flatMap((p) => (p.type === "delta" ? (p.delta.tool_calls ?? []) : []));
    expect(calls[0]).toEqual({
      index: 0,
      id: "call_DdmO9pD3xa9XTPNJ32zg2hcA",
      type: "function",
      function: { name: "get_current_weather", arguments: "" },
    });
    const args = calls.map((c) => (c.function as { arguments: string }).arguments).join("");
    expect(JSON.parse(args)).toEqual({ location: "Boston, MA" });
    expect(parts).toContainEqual({ type: "finish", reason: "tool_calls" });
  });

  it.each([
    ["with choices missing (vLLM)", "stream-usage-no-choices.sse"],
    ["on the chunk that carries the finish reason", "stream-usage-on-choice.sse"],
  ])("takes usage %s", (_name, file) => {
    const parts = decode(file);
    expect(joinedContent(parts)).toBe("Hi there");
    expect(parts).toContainEqual({ type: "finish", reason: "stop" });
    expect(parts.filter((p) => p.type === "usage")).toEqual([
      {
        type: "usage",
        usage: expect.objectContaining({ prompt_tokens: 19, completion_tokens: 3, total_tokens: 22 }),
        completionReported: true,
      },
    ]);
  });

  it("takes usage from a chunk whose choices are null", () => {
    const parts = decodeAll(
      createOpenAIStreamDecoder(),
      'data: {"choices":null,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n',
    );
    expect(parts).toEqual([
      { type: "usage", usage: expect.objectContaining({ total_tokens: 3 }), completionReported: true },
    ]);
  });

  it("throws the in-band error as a classified, retryable server error", () => {
    const run = () => decode("stream-error.sse");
    expect(run).toThrow(UpstreamUnavailableError);
    expect(run).toThrow("upstream stream failed (server_error)");
  });

  it("rejects an event that is not JSON", () => {
    expect(() => decodeAll(createOpenAIStreamDecoder(), "data: {oops\n\n")).toThrow(UnusableOutputError);
  });
});

describe("fromOpenAIImagesResponse", () => {
  const fallback = { created: 1_700_000_000, outputFormat: undefined };

  it("decodes b64_json, maps usage and echoes the settings", () => {
    const answer = fromOpenAIImagesResponse(fixture(import.meta.url, "images-gpt-image.json"), fallback);
    expect(answer.created).toBe(1744301234);
    expect(answer.contentType).toBe("image/png");
    expect(answer.sources).toHaveLength(1);
    const source = answer.sources[0];
    expect(source && "bytes" in source && Buffer.from(source.bytes).subarray(1, 4).toString()).toBe("PNG");
    expect(answer.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 272, total_tokens: 322 });
    expect(answer.extra).toEqual({ size: "1024x1024", quality: "low", background: "opaque", output_format: "png" });
  });

  it("leaves dall-e URLs to download and keeps the revised prompt", () => {
    const answer = fromOpenAIImagesResponse(fixture(import.meta.url, "images-dall-e-url.json"), fallback);
    expect(answer.sources[0]).toEqual({
      url: new URL("https://images.openai.test/private/img-abc.png?se=2025-04-10T17%3A01%3A40Z&sig=x"),
      revisedPrompt: "A lighthouse on a rocky coast at dusk, painted in watercolor.",
    });
    expect(answer.usage).toBeNull();
    expect(answer.contentType).toBeUndefined();
  });

  it("takes the content type from the request when the answer does not say", () => {
    const answer = fromOpenAIImagesResponse({ data: [{ b64_json: "AAAA" }] }, { ...fallback, outputFormat: "webp" });
    expect(answer.contentType).toBe("image/webp");
    expect(answer.created).toBe(1_700_000_000);
  });

  it.each([
    ["no images", { data: [] }, "upstream returned no images"],
    ["an item without data", { data: [{ revised_prompt: "x" }] }, "upstream returned an image without data"],
    ["a URL that is not http", { data: [{ url: "file:///etc/passwd" }] }, "upstream returned an image without data"],
  ])("rejects %s", (_name, body, message) => {
    const run = () => fromOpenAIImagesResponse(body, fallback);
    expect(run).toThrow(UnusableOutputError);
    expect(run).toThrow(message);
  });
});
