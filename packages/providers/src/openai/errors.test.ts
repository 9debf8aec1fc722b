import { describe, expect, it } from "vitest";
import { classifyFailure } from "../base/classify.js";
import { fixtureText } from "../test-support/fixtures.js";
import { openAIStreamErrorStatus, parseOpenAIError } from "./errors.js";

describe("parseOpenAIError", () => {
  it("reads the code for the broker and the message, param and code a client may see", () => {
    expect(parseOpenAIError(fixtureText(import.meta.url, "error-context-length.json"))).toEqual({
      code: "context_length_exceeded",
      message: expect.stringMatching(/^This model's maximum context length is 128000 tokens\./) as unknown,
      param: "messages",
      publicCode: "context_length_exceeded",
    });
    expect(parseOpenAIError(fixtureText(import.meta.url, "error-rate-limit.json"))).toMatchObject({
      code: "rate_limit_exceeded",
      publicCode: "rate_limit_exceeded",
    });
  });

  it("falls back to the type for the broker's code when the code is null, and gives the client none", () => {
    expect(parseOpenAIError(fixtureText(import.meta.url, "error-invalid-request.json"))).toEqual({
      code: "invalid_request_error",
      message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      param: "stream_options",
      publicCode: undefined,
    });
  });

  it("takes a numeric code for the status it is, and names a context overflow worded without a code", () => {
    // vLLM's answer to a prompt longer than the model's context.
    const vllm = JSON.stringify({
      object: "error",
      error: {
        message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    });
    expect(parseOpenAIError(vllm)).toMatchObject({ code: "400", publicCode: "context_length_exceeded" });
    const other = '{"error":{"message":"temperature must be at most 2","type":"BadRequestError","code":"400"}}';
    expect(parseOpenAIError(other).publicCode).toBeUndefined();
  });

  it("never lets a 401's echo of the broker's key reach a client", () => {
    const text = fixtureText(import.meta.url, "error-invalid-api-key.json");
    const detail = parseOpenAIError(text);
    expect(detail.publicCode).toBe("invalid_api_key");
    for (const status of [401, 400]) {
      const error = classifyFailure({ kind: "http", status, headers: {}, body: text, detail });
      expect(error.message).not.toMatch(/sk-|\*\*\*|wXyZ/);
    }
  });

  it("ignores bodies that are not OpenAI errors", () => {
    expect(parseOpenAIError("<html>Bad Gateway</html>")).toEqual({});
    expect(parseOpenAIError('{"error":"bad"}')).toEqual({});
    expect(parseOpenAIError('{"error":{"code":"has spaces and <html>"}}')).toMatchObject({ code: undefined });
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
