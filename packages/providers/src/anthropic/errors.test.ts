import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { anthropicStreamErrorStatus, parseAnthropicError } from "./errors.js";

describe("parseAnthropicError", () => {
  it("reads the error type", () => {
    expect(parseAnthropicError(fixtureText(import.meta.url, "error-overloaded.json"))).toEqual({
      code: "overloaded_error",
    });
    expect(parseAnthropicError(fixtureText(import.meta.url, "error-invalid-request.json"))).toEqual({
      code: "invalid_request_error",
    });
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
