import { describe, expect, it } from "vitest";
import { validateCompletion } from "../base/validate.js";
import { fixture } from "../test-support/fixtures.js";
import { fromAnthropicResponse, mapStopReason } from "./response.js";

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
