import { describe, expect, it } from "vitest";
import { validateCompletion } from "../base/validate.js";
import { fixture } from "../test-support/fixtures.js";
import { fromOpenAIResponse } from "./response.js";

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

  it("leaves empty output for validation to reject", () => {
    expect(() => map("chat-completion-empty.json")).toThrow("upstream returned empty output");
  });
});
