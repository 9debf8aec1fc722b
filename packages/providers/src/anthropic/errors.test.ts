import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { anthropicStreamErrorStatus, parseAnthropicError } from "./errors.js";

describe("parseAnthropicError", () => {
  it("reads the error type and the message", () => {
    expect(parseAnthropicError(fixtureText(import.meta.url, "error-overloaded.json"))).toEqual({
      code: "overloaded_error",
      message: "Overloaded",
    });
    expect(parseAnthropicError(fixtureText(import.meta.url, "error-invalid-request.json"))).toEqual({
      code: "invalid_request_error",
      message: expect.stringMatching(/^max_tokens: 100000 > 64000/) as unknown,
    });
  });

  it("names a prompt beyond the context as OpenAI does: context_length_exceeded on messages", () => {
    expect(parseAnthropicError(fixtureText(import.meta.url, "error-prompt-too-long.json"))).toEqual({
      code: "invalid_request_error",
      message: "prompt is too long: 210000 tokens > 200000 maximum",
      param: "messages",
      publicCode: "context_length_exceeded",
    });
    const withRoom = JSON.stringify({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again",
      },
    });
    expect(parseAnthropicError(withRoom)).toMatchObject({ publicCode: "context_length_exceeded" });
  });

  it("keeps request_too_large as the code of a 413, and gives other errors no code", () => {
    const tooLarge =
      '{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}';
    expect(parseAnthropicError(tooLarge)).toMatchObject({ publicCode: "request_too_large" });
    expect(parseAnthropicError(fixtureText(import.meta.url, "error-invalid-request.json")).publicCode).toBeUndefined();
  });

  it("ignores what is not JSON", () => {
    expect(parseAnthropicError("upstream connect error")).toEqual({});
  });
});

describe("anthropicStreamErrorStatus", () => {
  it("gives the status each documented error type comes with", () => {
    expect(anthropicStreamErrorStatus(fixtureText(import.meta.url, "error-overloaded.json"))).toBe(529);
    expect(anthropicStreamErrorStatus('{"type":"error","error":{"type":"rate_limit_error"}}')).toBe(429);
    expect(anthropicStreamErrorStatus('{"type":"error","error":{"type":"invalid_request_error"}}')).toBe(400);
  });

  it("takes anything else as a server error", () => {
    expect(anthropicStreamErrorStatus('{"type":"error","error":{"type":"brand_new_error"}}')).toBe(500);
    expect(anthropicStreamErrorStatus("not json")).toBe(500);
  });
});
