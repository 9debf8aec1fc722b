import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { parseAnthropicError } from "./errors.js";

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
