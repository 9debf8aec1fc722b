import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { parseOpenAIError } from "./errors.js";

describe("parseOpenAIError", () => {
  it("reads the code, never the message", () => {
    expect(parseOpenAIError(fixtureText(import.meta.url, "error-rate-limit.json"))).toEqual({
      code: "rate_limit_exceeded",
    });
  });

  it("falls back to the type when the code is null", () => {
    expect(parseOpenAIError(fixtureText(import.meta.url, "error-invalid-request.json"))).toEqual({
      code: "invalid_request_error",
    });
  });

  it("ignores bodies that are not OpenAI errors", () => {
    expect(parseOpenAIError("<html>Bad Gateway</html>")).toEqual({});
    expect(parseOpenAIError('{"error":{"code":"has spaces and <html>"}}')).toEqual({ code: undefined });
  });
});
