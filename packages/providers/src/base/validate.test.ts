import { describe, expect, it } from "vitest";
import { UnusableOutputError } from "@switchyard/contracts";
import { getUpstreamStatus } from "./classify.js";
import { validateCompletion, validateFinishReason, validateImageBytes, validateVideoBytes } from "./validate.js";

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

  it("accepts an audio answer, whose text is in audio.transcript and content null (modalities: audio)", () => {
    const audio = { id: "audio_1", data: "UklGRg==", expires_at: 1719171600, transcript: "Hello." };
    const validated = validateCompletion(completion({ message: { role: "assistant", content: null, audio } }));
    expect(validated.choices[0]?.message).toMatchObject({ content: null, audio });
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

describe("validateFinishReason", () => {
  it("passes a known reason and rejects others as validateCompletion does", () => {
    expect(validateFinishReason("tool_calls")).toBe("tool_calls");
    expect(() => validateFinishReason("pause_turn", 200)).toThrow(
      "upstream returned an unknown finish_reason 'pause_turn'",
    );
    expect(() => validateFinishReason(undefined)).toThrow(UnusableOutputError);
  });
});

describe("validateImageBytes", () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
  const webp = new Uint8Array(Buffer.from("RIFF\x24\0\0\0WEBPVP8 ", "latin1"));

  it.each([
    ["image/png", png],
    ["image/jpeg", jpeg],
    ["image/webp", webp],
  ])("accepts %s by its magic bytes", (type, bytes) => {
    expect(() => validateImageBytes(bytes, type)).not.toThrow();
  });

  it.each([
    ["empty", new Uint8Array(), "image/png", "upstream returned an empty image"],
    ["a JPEG said to be PNG", jpeg, "image/png", "upstream returned bytes that are not image/png"],
    ["a truncated signature", png.subarray(0, 4), "image/png", "upstream returned bytes that are not image/png"],
    [
      "a GIF",
      new Uint8Array(Buffer.from("GIF89a")),
      "image/gif",
      "upstream returned an image of unsupported type image/gif",
    ],
  ])("rejects %s", (_name, bytes, type, message) => {
    const run = () => validateImageBytes(bytes, type, 200);
    expect(run).toThrow(UnusableOutputError);
    expect(run).toThrow(message);
  });
});

describe("validateVideoBytes", () => {
  it("accepts an ISO-BMFF file whose first box is ftyp", () => {
    expect(() => validateVideoBytes(new Uint8Array(Buffer.from("\0\0\0\x18ftypmp42", "latin1")))).not.toThrow();
  });

  it.each([
    ["empty", new Uint8Array()],
    ["JSON", new Uint8Array(Buffer.from('{"error":"not ready"}'))],
    ["a WebM", Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0])],
  ])("rejects %s", (_name, bytes) => {
    expect(() => validateVideoBytes(bytes, 200)).toThrow("upstream returned a video that is not an MP4 file");
  });
});
