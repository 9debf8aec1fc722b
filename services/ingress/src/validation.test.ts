import { describe, expect, it } from "vitest";
import { ChatCompletionRequest, InvalidRequestError } from "@switchyard/contracts";
import { MAX_JSON_DEPTH, formatPath, parseBody } from "./validation.js";

function errorOf(body: unknown): InvalidRequestError {
  try {
    parseBody(ChatCompletionRequest, body);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error("expected a validation error");
}

describe("validation", () => {
  it("names field paths the OpenAI way", () => {
    expect(formatPath(["messages", 0, "role"])).toBe("messages[0].role");
    expect(formatPath(["model"])).toBe("model");
    expect(formatPath([])).toBeNull();
  });

  it("reports a missing field as missing, with its param", () => {
    const error = errorOf({ messages: [{ role: "user", content: "hi" }] });
    expect(error).toMatchObject({ status: 400, param: "model", code: "missing_required_parameter" });
    expect(error.message).toBe("Missing required parameter: 'model'.");
  });

  it("reports a bad value with its nested param", () => {
    const error = errorOf({ model: "m", messages: [{ role: "robot", content: "hi" }] });
    expect(error).toMatchObject({ status: 400, param: "messages[0].role", code: "invalid_value" });
  });

  it("refuses bodies that are not objects", () => {
    expect(errorOf([1, 2])).toMatchObject({ param: null, code: "invalid_json" });
    expect(errorOf(undefined)).toMatchObject({ param: null });
  });

  it("refuses a body nested deeper than MAX_JSON_DEPTH, and takes one at the limit", () => {
    const nested = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = 1; i < levels; i++) value = [value];
      return value;
    };
    const body = (levels: number) => ({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      extra: nested(levels),
    });
    // `nested(n)` wraps a number in n - 1 arrays: with the body's own level, n levels in all.
    expect(() => parseBody(ChatCompletionRequest, body(MAX_JSON_DEPTH))).not.toThrow();
    expect(errorOf(body(MAX_JSON_DEPTH + 1))).toMatchObject({ status: 400, code: "invalid_json" });
  });

  it("keeps unknown fields", () => {
    const body = parseBody(ChatCompletionRequest, {
      model: "m",
      messages: [{ role: "user", content: "hi", extra: 1 }],
      tools: [{ type: "function" }],
    });
    expect(body).toEqual({
      model: "m",
      messages: [{ role: "user", content: "hi", extra: 1 }],
      tools: [{ type: "function" }],
    });
  });
});
