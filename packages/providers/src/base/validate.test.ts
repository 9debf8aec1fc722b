import { describe, expect, it } from "vitest";
import { UnusableOutputError } from "@switchyard/contracts";
import { getUpstreamStatus } from "./classify.js";
import { validateCompletion } from "./validate.js";

const completion = (choice: Record<string, unknown>) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [
    { index: 0, logprobs: null, finish_reason: "stop", message: { role: "assistant", content: "hi" }, ...choice },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

describe("validateCompletion", () => {
  it("accepts text, tool calls and refusals", () => {
    expect(validateCompletion(completion({})).choices[0]?.message.content).toBe("hi");
    const toolCall = { id: "c", type: "function", function: { name: "f", arguments: "{}" } };
    expect(() =>
      validateCompletion(
        completion({
          finish_reason: "tool_calls",
          message: { role: "assistant", content: null, tool_calls: [toolCall] },
        }),
      ),
    ).not.toThrow();
    expect(() =>
      validateCompletion(
        completion({ message: { role: "assistant", content: null, refusal: "I can't help with that." } }),
      ),
    ).not.toThrow();
  });

  it.each([
    ["empty", { message: { role: "assistant", content: "" } }, "upstream returned empty output"],
    ["blank", { message: { role: "assistant", content: "  \n" } }, "upstream returned empty output"],
    ["null", { message: { role: "assistant", content: null, tool_calls: [] } }, "upstream returned empty output"],
    ["unknown finish", { finish_reason: "eos" }, "upstream returned an unknown finish_reason 'eos'"],
    ["missing finish", { finish_reason: null }, "upstream returned an unknown finish_reason (null)"],
  ])("rejects %s output", (_name, choice, message) => {
    const run = () => validateCompletion(completion(choice), 200);
    expect(run).toThrow(UnusableOutputError);
    expect(run).toThrow(message);
  });

  it("rejects an answer without choices and keeps the status for the attempt record", () => {
    try {
      validateCompletion({ ...completion({}), choices: [] }, 200);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnusableOutputError);
      expect((error as UnusableOutputError).retryable).toBe(true);
      expect(getUpstreamStatus(error)).toBe(200);
    }
  });

  it("rejects a malformed completion without echoing it", () => {
    expect(() =>
      validateCompletion(completion({ message: { role: "assistant", content: "x", tool_calls: [{ bad: true }] } })),
    ).toThrow(/malformed completion at choices\.0\.message\.tool_calls/);
  });
});
