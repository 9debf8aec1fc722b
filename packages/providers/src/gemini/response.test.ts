import { describe, expect, it } from "vitest";
import { UnusableOutputError, UpstreamRateLimitedError } from "@switchyard/contracts";
import { validateCompletion } from "../base/validate.js";
import { fixture, fixtureText } from "../test-support/fixtures.js";
import { decodeAll, joinedContent } from "../test-support/stream.js";
import { createGeminiStreamDecoder, fromGeminiResponse, mapFinishReason } from "./response.js";

const fallback = { model: "gemini-2.5-flash", created: 1_700_000_000 };
const map = (name: string) => validateCompletion(fromGeminiResponse(fixture(import.meta.url, name), fallback));

describe("fromGeminiResponse", () => {
  it("maps a text answer to a chat.completion with usage", () => {
    expect(map("generate-content.json")).toEqual({
      id: "Zc5JaKDjHom1qtsP2K_KmAk",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "gemini-2.5-flash",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "AI learns patterns from data to make predictions.", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 8,
        completion_tokens: 10,
        total_tokens: 18,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    });
  });

  it("leaves thought parts out and maps thinking and cached tokens", () => {
    const completion = map("generate-content-thinking-cached.json");
    expect(completion.choices[0]?.message.content).toBe("2 + 2 = 4.");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage).toMatchObject({
      prompt_tokens: 4120,
      completion_tokens: 219,
      total_tokens: 4339,
      prompt_tokens_details: { cached_tokens: 4096 },
      completion_tokens_details: { reasoning_tokens: 212 },
    });
  });

  it("maps function calls to tool_calls, with the thought signature where Google's OpenAI layer puts it", () => {
    const choice = map("generate-content-function-call.json").choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "get_current_weather", arguments: '{"location":"Boston, MA"}' },
        extra_content: { google: { thought_signature: "CiwBVKhc7..." } },
      },
    ]);
  });

  it("puts a signature only on the calls whose part has one (Gemini signs the first of parallel calls)", () => {
    const call = (name: string) => ({ functionCall: { name, args: {} } });
    const body = {
      candidates: [
        {
          content: { role: "model", parts: [{ ...call("a"), thoughtSignature: "Sig_A" }, call("b")] },
          finishReason: "STOP",
        },
      ],
    };
    const calls = validateCompletion(fromGeminiResponse(body, fallback)).choices[0]?.message.tool_calls;
    expect(calls?.map((c) => c["extra_content"])).toEqual([{ google: { thought_signature: "Sig_A" } }, undefined]);
  });

  it("gives each function call an id no other answer uses, as clients and Anthropic pair results by id", () => {
    // Gemini 2.x sends calls without ids; a conversation of several tool turns must not repeat one.
    const ids = [1, 2].flatMap(() =>
      (map("generate-content-function-call.json").choices[0]?.message.tool_calls ?? []).map((call) => call.id),
    );
    const streamed = [1, 2].flatMap(() =>
      decodeAll(createGeminiStreamDecoder(), fixtureText(import.meta.url, "stream-function-call.sse")).flatMap((p) =>
        p.type === "delta" ? (p.delta.tool_calls ?? []).map((call) => call.id) : [],
      ),
    );
    const all = [...ids, ...streamed];
    expect(all).toHaveLength(4);
    expect(new Set(all).size).toBe(4);
    for (const id of all) expect(id).toMatch(/^call_[A-Za-z0-9_-]+$/);
  });

  it("maps SAFETY to content_filter", () => {
    expect(map("generate-content-safety.json").choices[0]?.finish_reason).toBe("content_filter");
  });

  it("rejects a blocked prompt, which has no candidates", () => {
    expect(() => map("generate-content-blocked-prompt.json")).toThrow("upstream returned no choices");
  });

  it("passes unknown finish reasons through for validation to reject", () => {
    expect(mapFinishReason("MALFORMED_FUNCTION_CALL", false)).toBe("malformed_function_call");
    expect(mapFinishReason("MAX_TOKENS", false)).toBe("length");
  });
});

describe("createGeminiStreamDecoder", () => {
  const decode = (name: string) => decodeAll(createGeminiStreamDecoder(), fixtureText(import.meta.url, name));

  it("reads the recorded stream: text deltas with the role first, the last usage, the finish reason", () => {
    const parts = decode("stream.sse");
    expect(parts[0]).toEqual({ type: "delta", delta: { role: "assistant", content: "Hello" } });
    expect(joinedContent(parts)).toBe("Hello there!");
    expect(parts.filter((p) => p.type === "usage").at(-1)).toEqual({
      type: "usage",
      usage: expect.objectContaining({ prompt_tokens: 8, completion_tokens: 3, total_tokens: 11 }),
      completionReported: true,
    });
    expect(parts.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  it("skips thought parts and maps a function call, with its thought signature, to a whole tool_calls delta", () => {
    const parts = decode("stream-function-call.sse");
    expect(joinedContent(parts)).toBe("");
    expect(parts.filter((p) => p.type === "delta")).toEqual([
      {
        type: "delta",
        delta: {
          role: "assistant",
          tool_calls: [
            {
              index: 0,
              id: expect.stringMatching(/^call_/),
              type: "function",
              function: { name: "get_current_weather", arguments: '{"location":"Boston, MA"}' },
              extra_content: { google: { thought_signature: "CiQB0e2Kb7tlNfV4" } },
            },
          ],
        },
      },
    ]);
    expect(parts).toContainEqual({ type: "finish", reason: "tool_calls" });
    // The first chunk's usageMetadata has no candidatesTokenCount: its 0 is not a count yet.
    expect(parts.filter((p) => p.type === "usage")).toEqual([
      {
        type: "usage",
        usage: expect.objectContaining({ prompt_tokens: 61, completion_tokens: 0 }),
        completionReported: false,
      },
      {
        type: "usage",
        usage: expect.objectContaining({
          completion_tokens: 68,
          completion_tokens_details: expect.objectContaining({ reasoning_tokens: 48 }),
        }),
        completionReported: true,
      },
    ]);
  });

  it("throws an error chunk as the error its code stands for", () => {
    const run = () =>
      decodeAll(
        createGeminiStreamDecoder(),
        'data: {"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}\n\n',
      );
    expect(run).toThrow(UpstreamRateLimitedError);
    expect(run).toThrow("upstream stream failed (RESOURCE_EXHAUSTED)");
  });

  it("rejects a blocked prompt, which has no candidates", () => {
    const run = () =>
      decodeAll(
        createGeminiStreamDecoder(),
        'data: {"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{}}\n\n',
      );
    expect(run).toThrow(UnusableOutputError);
    expect(run).toThrow("upstream returned no choices");
  });
});
