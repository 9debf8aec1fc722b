import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { geminiStreamErrorStatus, parseGeminiError } from "./errors.js";

describe("parseGeminiError", () => {
  it("reads the status and the RetryInfo delay of a 429", () => {
    expect(parseGeminiError(fixtureText(import.meta.url, "error-rate-limit.json"))).toMatchObject({
      code: "RESOURCE_EXHAUSTED",
      retryAfterMs: 37_000,
    });
  });

  it("reads the status and message of a 400, with no code for the client", () => {
    expect(parseGeminiError('{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}')).toEqual({
      code: "INVALID_ARGUMENT",
      retryAfterMs: undefined,
      message: "bad",
    });
  });

  it("names an input beyond the context as OpenAI does: context_length_exceeded on messages", () => {
    expect(parseGeminiError(fixtureText(import.meta.url, "error-input-too-long.json"))).toEqual({
      code: "INVALID_ARGUMENT",
      retryAfterMs: undefined,
      message: "The input token count (1310720) exceeds the maximum number of tokens allowed (1048576).",
      param: "messages",
      publicCode: "context_length_exceeded",
    });
  });

  it("takes a wrong API key's 400 for the 401 it stands for, without its message", () => {
    expect(parseGeminiError(fixtureText(import.meta.url, "error-invalid-argument.json"))).toEqual({
      code: "API_KEY_INVALID",
      retryAfterMs: undefined,
      equivalentStatus: 401,
    });
  });

  it("ignores what is not JSON", () => {
    expect(parseGeminiError("")).toEqual({});
  });
});

describe("geminiStreamErrorStatus", () => {
  it("takes the status from the error's code, else 500", () => {
    expect(geminiStreamErrorStatus({ code: 503, status: "UNAVAILABLE" })).toBe(503);
    expect(geminiStreamErrorStatus({ status: "INTERNAL" })).toBe(500);
    expect(geminiStreamErrorStatus(null)).toBe(500);
  });
});
