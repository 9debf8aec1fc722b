import { describe, expect, it } from "vitest";
import { UpstreamRateLimitedError, UpstreamUnavailableError } from "@switchyard/contracts";
import { validateCompletion } from "../base/validate.js";
import { fixture, fixtureText } from "../test-support/fixtures.js";
import { decodeAll, joinedContent } from "../test-support/stream.js";
import { createAnthropicStreamDecoder, fromAnthropicResponse, mapStopReason } from "./response.js";

const fallback = { model: "claude-sonnet-4-5", created: 1_700_000_000 };
const map = (name: string) => validateCompletion(fromAnthropicResponse(fixture(import.meta.url, name), fallback));

describe("fromAnthropicResponse", () => {
  it("maps a text answer to a chat.completion with usage", () => {
    expect(map("message.json")).toEqual({
      id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "claude-sonnet-4-5-20250929",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi! My name is Claude.", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 2095,
        completion_tokens: 503,
        total_tokens: 2598,
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

  it("maps tool_use blocks to tool_calls and leaves thinking out", () => {
    const choice = map("message-tool-use.json").choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBe("I'll check the current weather in Boston for you.");
    expect(choice?.message.tool_calls).toEqual([
      {
        id: "toolu_01A09q90qw90lq917835lq9",
        type: "function",
        function: { name: "get_current_weather", arguments: '{"location":"Boston, MA"}' },
      },
    ]);
  });

  it("counts cache reads as cached prompt tokens and max_tokens as length", () => {
    const completion = map("message-cached.json");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage).toMatchObject({
      prompt_tokens: 2009,
      completion_tokens: 393,
      prompt_tokens_details: { cached_tokens: 1800 },
    });
  });

  it("rejects a stop reason it does not know", () => {
    expect(() => map("message-pause-turn.json")).toThrow("unknown finish_reason 'pause_turn'");
  });

  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
  ])("stop_reason %s → %s", (reason, expected) => {
    expect(mapStopReason(reason)).toBe(expected);
  });
});

describe("createAnthropicStreamDecoder", () => {
  const decode = (name: string) => decodeAll(createAnthropicStreamDecoder(), fixtureText(import.meta.url, name));

  it("reads the recorded stream: role, text deltas, stop reason, usage and message_stop", () => {
    const parts = decode("stream.sse");
    expect(parts[0]).toEqual({ type: "delta", delta: { role: "assistant" } });
    expect(joinedContent(parts)).toBe("Hello!");
    expect(parts).toContainEqual({ type: "finish", reason: "stop" });
    const usages = parts.filter((p) => p.type === "usage");
    // message_start's output_tokens (1) is a placeholder: only its prompt count is the upstream's.
    expect(usages).toEqual([
      {
        type: "usage",
        usage: expect.objectContaining({ prompt_tokens: 25, completion_tokens: 1 }),
        completionReported: false,
      },
      {
        type: "usage",
        usage: expect.objectContaining({ prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 }),
        completionReported: true,
      },
    ]);
    expect(parts.at(-1)).toEqual({ type: "end" });
  });

  it("maps tool_use blocks to tool_calls deltas, skips thinking, and keeps cache reads as prompt tokens", () => {
    const parts = decode("stream-tool-use.sse");
    expect(joinedContent(parts)).toBe("Okay, let's check the weather for San Francisco, CA:");
    const calls = parts.flatMap((p) => (p.type === "delta" ? (p.delta.tool_calls ?? []) : []));
    expect(calls[0]).toEqual({
      index: 0,
      id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    expect(calls.slice(1).every((c) => c.index === 0 && !("id" in c))).toBe(true);
    const args = calls.map((c) => (c.function as { arguments: string }).arguments).join("");
    expect(JSON.parse(args)).toEqual({ location: "San Francisco, CA", unit: "fahrenheit" });
    expect(parts).toContainEqual({ type: "finish", reason: "tool_calls" });
    expect(parts.filter((p) => p.type === "usage").at(-1)).toEqual({
      type: "usage",
      usage: expect.objectContaining({
        prompt_tokens: 2272,
        completion_tokens: 89,
        prompt_tokens_details: expect.objectContaining({ cached_tokens: 1800 }),
      }),
      completionReported: true,
    });
  });

  it("completes a tool call without arguments as '{}', as the unstreamed answer does", () => {
    // Anthropic streams a call to a parameterless tool as `input: {}` and one empty partial_json.
    const event = (value: Record<string, unknown>) =>
      `event: ${String(value.type)}\ndata: ${JSON.stringify(value)}\n\n`;
    const parts = decodeAll(
      createAnthropicStreamDecoder(),
      [
        event({
          type: "content_block_start",
          index: 0,
          content_block: { type: "tool_use", id: "toolu_01", name: "get_time", input: {} },
        }),
        event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "" } }),
        event({ type: "content_block_stop", index: 0 }),
        event({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 12 } }),
      ].join(""),
    );
    const calls = parts.flatMap((p) => (p.type === "delta" ? (p.delta.tool_calls ?? []) : []));
    expect(calls.every((c) => c.index === 0)).toBe(true);
    expect(calls.map((c) => (c.function as { arguments: string }).arguments).join("")).toBe("{}");
  });

  it("throws an error event as the error its type stands for", () => {
    const run = () => decode("stream-error.sse");
    expect(run).toThrow(UpstreamUnavailableError);
    expect(run).toThrow("upstream stream failed (overloaded_error)");
    const rateLimited = () =>
      decodeAll(
        createAnthropicStreamDecoder(),
        'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}\n\n',
      );
    expect(rateLimited).toThrow(UpstreamRateLimitedError);
  });

  it("passes an unknown stop reason on for the stream to reject", () => {
    const parts = decodeAll(
      createAnthropicStreamDecoder(),
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"pause_turn"},"usage":{"output_tokens":3}}\n\n',
    );
    expect(parts).toContainEqual({ type: "finish", reason: "pause_turn" });
  });
});
