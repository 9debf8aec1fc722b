import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { parseGeminiError } from "./errors.js";

describe("parseGeminiError", () => {
  it("reads the status and the RetryInfo delay of a 429", () => {
    expect(parseGeminiError(fixtureText(import.meta.url, "error-rate-limit.json"))).toEqual({
      code: "RESOURCE_EXHAUSTED",
      retryAfterMs: 37_000,
    });
  });

  it("reads the status of a 400 without a delay", () => {
    expect(parseGeminiError(fixtureText(import.meta.url, "error-invalid-argument.json"))).toEqual({
      code: "INVALID_ARGUMENT",
      retryAfterMs: undefined,
    });
  });

  it("ignores what is not JSON", () => {
    expect(parseGeminiError("")).toEqual({});
  });
});
