import { describe, expect, it } from "vitest";
import { DONE_FRAME, completionId, createChunkStream, errorFrame } from "./chunks.js";
import { completionChunk, completionFinishReason } from "./completion-parts.js";

const options = { jobId: "job_abc", createdAt: 1_719_168_000_999, model: "gpt-4o-mini", includeUsage: false };
const parse = (frame: string) =>
  frame
    .split("\n\n")
    .filter(Boolean)
    .map((f) => JSON.parse(f.slice(6)) as unknown);

describe("createChunkStream", () => {
  it("builds OpenAI chunks in the documented key order, the role on the first delta only", () => {
    const chunks = createChunkStream(options);
    expect(chunks.delta({ delta: {} })).toBeUndefined();
    expect(chunks.delta({ delta: { content: undefined } })).toBeUndefined();
    expect(chunks.started).toBe(false);
    expect(chunks.delta({ delta: { content: "Hel" } })).toBe(
      'data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1719168000,"model":"gpt-4o-mini",' +
        '"system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},' +
        '"logprobs":null,"finish_reason":null}]}\n\n',
    );
    expect(parse(chunks.delta({ delta: { content: "lo" } })!)).toMatchObject([
      { choices: [{ delta: { content: "lo" } }] },
    ]);
    expect(parse(chunks.finish("length"))).toMatchObject([{ choices: [{ delta: {}, finish_reason: "length" }] }]);
    expect(chunks.usage({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 })).toBeUndefined();
  });

  it("with include_usage: usage null on every chunk, then a choices-less usage chunk with the details filled", () => {
    const chunks = createChunkStream({ ...options, includeUsage: true });
    // An empty answer still opens with the role before the finish chunk.
    const frames = parse(
      chunks.finish("stop") + chunks.usage({ prompt_tokens: 4, completion_tokens: 0, total_tokens: 4 })!,
    );
    expect(frames).toEqual([
      expect.objectContaining({
        choices: [expect.objectContaining({ delta: { role: "assistant", content: "" } })],
        usage: null,
      }),
      expect.objectContaining({
        choices: [expect.objectContaining({ delta: {}, finish_reason: "stop" })],
        usage: null,
      }),
      {
        id: "chatcmpl-abc",
        object: "chat.completion.chunk",
        created: 1719168000,
        model: "gpt-4o-mini",
        system_fingerprint: null,
        choices: [],
        usage: {
          prompt_tokens: 4,
          completion_tokens: 0,
          total_tokens: 4,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
      },
    ]);
  });

  it("shows a chunk's logprobs with its delta, and the fingerprint on that frame and every later one", () => {
    const chunks = createChunkStream({ ...options, includeUsage: true });
    const logprobs = { content: [{ token: "Hi", logprob: -0.5, bytes: [72, 105], top_logprobs: [] }], refusal: null };
    // A fingerprint can come on a chunk with nothing to show: no frame, but the later ones have it.
    expect(chunks.delta({ delta: {}, system_fingerprint: "fp_a" })).toBeUndefined();
    const frames = parse(
      chunks.delta({ delta: { content: "Hi" }, logprobs })! +
        chunks.delta({ delta: { content: "!" } })! +
        chunks.delta({ delta: { content: "?" }, system_fingerprint: "fp_b" })! +
        chunks.finish("stop") +
        chunks.usage({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 })!,
    ) as Array<{ system_fingerprint: string; choices: Array<{ logprobs: unknown }> }>;
    expect(frames.map((f) => f.system_fingerprint)).toEqual(["fp_a", "fp_a", "fp_b", "fp_b", "fp_b"]);
    expect(frames.map((f) => f.choices[0]?.logprobs)).toEqual([logprobs, null, null, null, undefined]);
  });

  it("frames errors and [DONE]", () => {
    expect(DONE_FRAME).toBe("data: [DONE]\n\n");
    expect(errorFrame({ message: "m", type: "server_error", param: null, code: "c" })).toBe(
      'data: {"error":{"message":"m","type":"server_error","param":null,"code":"c"}}\n\n',
    );
    expect(completionId("job_XyZ")).toBe("chatcmpl-XyZ");
  });
});

describe("completion parts", () => {
  it("turns a stored completion into one delta, tool calls indexed", () => {
    const call = { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
    const result = {
      choices: [{ message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }],
    };
    expect(completionChunk(result)).toEqual({ delta: { tool_calls: [{ index: 0, ...call }] } });
    expect(completionFinishReason(result)).toBe("tool_calls");
    expect(completionChunk({})).toEqual({ delta: {} });
    expect(completionFinishReason({ choices: "nope" })).toBe("stop");
  });

  it("keeps a stored completion's logprobs and system_fingerprint for its replay", () => {
    const logprobs = { content: [{ token: "ok", logprob: -0.1, bytes: [111, 107], top_logprobs: [] }], refusal: null };
    const result = {
      system_fingerprint: "fp_x",
      choices: [{ message: { role: "assistant", content: "ok" }, logprobs, finish_reason: "stop" }],
    };
    expect(completionChunk(result)).toEqual({ delta: { content: "ok" }, logprobs, system_fingerprint: "fp_x" });
  });
});
