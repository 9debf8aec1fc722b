import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { openAIStreamErrorStatus, parseOpenAIError } from "./errors.js";

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

describe("openAIStreamErrorStatus", () => {
  it.each([
    [{ type: "server_error", code: null }, 500],
    [{ type: "invalid_request_error", code: "context_length_exceeded" }, 400],
    [{ code: "rate_limit_exceeded" }, 429],
    [{ code: "429", type: "budget_exceeded" }, 429],
    [{ status: 503 }, 503],
    [{ code: "new_api_error" }, 500],
    [null, 500],
  ])("%j → %i", (error, status) => {
    expect(openAIStreamErrorStatus(error)).toBe(status);
  });
});
