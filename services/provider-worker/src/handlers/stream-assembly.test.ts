import { describe, expect, it } from "vitest";
import type { ChatCompletionRequest } from "@switchyard/contracts";
import { StreamAssembly, carriesOutput } from "./stream-assembly.js";

const request: ChatCompletionRequest = {
  model: "m",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: [{ type: "text", text: "Hello there" }, { type: "image_url" }] },
  ],
};

describe("StreamAssembly", () => {
  it("concatenates text and reports the upstream's usage when it came", () => {
    const answer = new StreamAssembly();
    answer.add({ type: "delta", delta: { role: "assistant", content: "" } });
    answer.add({ type: "delta", delta: { content: "Hi " } });
    answer.add({ type: "delta", delta: { content: "you" } });
    answer.add({ type: "usage", usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } });
    expect(answer.completion("stop", request).choices).toEqual([
      { index: 0, message: { role: "assistant", content: "Hi you" }, logprobs: null, finish_reason: "stop" },
    ]);
    expect(answer.usage(request)).toEqual({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
  });

  it("keeps every token's logprobs in order and the upstream's last fingerprint, as a synchronous answer has them", () => {
    const answer = new StreamAssembly();
    const entry = (token: string) => ({ token, logprob: -0.25, bytes: [...Buffer.from(token)], top_logprobs: [] });
    answer.add({ type: "delta", delta: { role: "assistant" }, systemFingerprint: "fp_a" });
    answer.add({ type: "delta", delta: { content: "Hi" }, logprobs: { content: [entry("Hi")], refusal: null } });
    answer.add({ type: "delta", delta: { content: " you" }, logprobs: { content: [entry(" you")] } });
    answer.add({ type: "delta", delta: {}, systemFingerprint: "fp_b" });
    const completion = answer.completion("stop", request);
    expect(completion.choices[0]?.logprobs).toEqual({ content: [entry("Hi"), entry(" you")], refusal: null });
    expect(completion.system_fingerprint).toBe("fp_b");
  });

  it("leaves logprobs null and the fingerprint out when the upstream sent none", () => {
    const answer = new StreamAssembly();
    answer.add({ type: "delta", delta: { content: "Hi" } });
    const completion = answer.completion("stop", request);
    expect(completion.choices[0]?.logprobs).toBeNull();
    expect(completion).not.toHaveProperty("system_fingerprint");
  });

  it("merges tool-call pieces by index, with null content like a synchronous answer", () => {
    const answer = new StreamAssembly();
    answer.add({
      type: "delta",
      delta: { tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "get_", arguments: "" } }] },
    });
    answer.add({
      type: "delta",
      delta: { tool_calls: [{ index: 0, function: { name: "weather", arguments: '{"city":' } }] },
    });
    answer.add({
      type: "delta",
      delta: { tool_calls: [{ index: 1, id: "call_b", function: { name: "now", arguments: "{}" } }] },
    });
    answer.add({ type: "delta", delta: { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] } });
    expect(answer.completion("tool_calls", request).choices[0]?.message).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
        { id: "call_b", type: "function", function: { name: "now", arguments: "{}" } },
      ],
    });
  });

  it("keeps a call's extra_content (Gemini's thought signature), which the client must send back", () => {
    const answer = new StreamAssembly();
    const extra = { google: { thought_signature: "Sig_A" } };
    answer.add({
      type: "delta",
      delta: {
        tool_calls: [
          {
            index: 0,
            id: "call_a",
            type: "function",
            function: { name: "weather", arguments: "{}" },
            extra_content: extra,
          },
          { index: 1, id: "call_b", type: "function", function: { name: "time", arguments: "{}" } },
        ],
      },
    });
    expect(answer.completion("tool_calls", request).choices[0]?.message.tool_calls).toEqual([
      { id: "call_a", type: "function", function: { name: "weather", arguments: "{}" }, extra_content: extra },
      { id: "call_b", type: "function", function: { name: "time", arguments: "{}" } },
    ]);
  });

  it("estimates usage at four characters a token when the upstream never reported it", () => {
    const answer = new StreamAssembly();
    answer.add({ type: "delta", delta: { content: "abcdefghi" } });
    // Prompt: "Be brief." (9) + "Hello there" (11) = 20 characters.
    expect(answer.usage(request)).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it("keeps the prompt count reported before a cut and estimates the answer the upstream had not counted", () => {
    const answer = new StreamAssembly();
    answer.add({
      type: "usage_so_far",
      usage: {
        prompt_tokens: 19,
        completion_tokens: 1,
        total_tokens: 20,
        completion_tokens_details: { reasoning_tokens: 1 },
      },
      completionReported: false,
    });
    answer.add({ type: "delta", delta: { content: "abcdefghi" } });
    expect(answer.usage(request)).toEqual({ prompt_tokens: 19, completion_tokens: 3, total_tokens: 22 });
  });

  it("takes the last report whole once it counts the answer, and the final usage over any report", () => {
    const answer = new StreamAssembly();
    answer.add({ type: "delta", delta: { content: "abcdefghi" } });
    const counted = { prompt_tokens: 19, completion_tokens: 2, total_tokens: 21 };
    answer.add({ type: "usage_so_far", usage: counted, completionReported: true });
    expect(answer.usage(request)).toEqual(counted);
    answer.add({ type: "usage", usage: { prompt_tokens: 19, completion_tokens: 4, total_tokens: 23 } });
    expect(answer.usage(request)).toEqual({ prompt_tokens: 19, completion_tokens: 4, total_tokens: 23 });
  });

  it("knows a role-only or whitespace-only delta carries no output", () => {
    expect(carriesOutput({ role: "assistant", content: "" })).toBe(false);
    expect(carriesOutput({ content: "x" })).toBe(true);
    expect(carriesOutput({ content: "\n \t" })).toBe(false);
    expect(carriesOutput({ content: "\n x" })).toBe(true);
    expect(carriesOutput({ refusal: "no" })).toBe(true);
    expect(carriesOutput({ tool_calls: [{ index: 0 }] })).toBe(true);
  });
});
