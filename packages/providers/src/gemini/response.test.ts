import { describe, expect, it } from "vitest";
import { validateCompletion } from "../base/validate.js";
import { fixture } from "../test-support/fixtures.js";
import { fromGeminiResponse, mapFinishReason } from "./response.js";

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

  it("maps function calls to tool_calls and STOP to tool_calls", () => {
    const choice = map("generate-content-function-call.json").choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([
      {
        id: "call_0",
        type: "function",
        function: { name: "get_current_weather", arguments: '{"location":"Boston, MA"}' },
      },
    ]);
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
