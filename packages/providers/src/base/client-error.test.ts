import { describe, expect, it } from "vitest";
import { UpstreamRejectedError } from "@switchyard/contracts";
import { clientCode, clientMessage, clientParam, credentialsIn, rejectedError } from "./client-error.js";

describe("clientMessage", () => {
  it("passes an ordinary provider message as it is", () => {
    const text =
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 135012 tokens.";
    expect(clientMessage(text)).toBe(text);
    expect(clientMessage("prompt is too long: 210000 tokens > 200000 maximum")).toBe(
      "prompt is too long: 210000 tokens > 200000 maximum",
    );
    expect(clientMessage("max_tokens: 100000 > 64000, which is the maximum allowed")).toBe(
      "max_tokens: 100000 > 64000, which is the maximum allowed",
    );
  });

  it.each([
    ["Incorrect API key provided: sk-ab***xyz. You can find your API key at https://platform.openai.com."],
    ["Incorrect API key provided: sk-proj-abcdefghijklmnop1234. Check it."],
    ["invalid x-api-key sk-ant-api03-AbCdEfGh12345678"],
    ["API key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv not valid"],
    ["upstream said: Authorization: Bearer abc123def456ghi"],
    ["GET /v1beta/models?key=secretvalue123 failed"],
    ["api_key: hunter2-is-the-password"],
    ["key ending in ****wXyZ was revoked"],
    ["token 0123456789abcdef0123456789abcdef0123 is unknown"],
  ])("redacts what looks like a credential: %s", (text) => {
    const cleaned = clientMessage(text)!;
    expect(cleaned).toContain("[redacted]");
    for (const leak of [
      "sk-",
      "***",
      "AIza",
      "abc123def456ghi",
      "secretvalue123",
      "hunter2",
      "wXyZ",
      "0123456789abcdef",
    ]) {
      expect(cleaned).not.toContain(leak);
    }
  });

  it("redacts the route's own key, whole or in pieces, whatever its format", () => {
    const secret = "mysecretkey-for-vllm";
    expect(clientMessage(`bad key "${secret}" given`, [secret])).toBe("bad key [redacted] given");
    expect(clientMessage("key starting mysecret… is wrong", [secret])).toBe("key starting [redacted] is wrong");
    expect(clientMessage("key ending -for-vllm is wrong", [secret])).toBe("key ending [redacted] is wrong");
  });

  it("removes control characters, collapses spaces and bounds the length", () => {
    expect(clientMessage("line one\n\tline\u0000two  ")).toBe("line one line two");
    const long = clientMessage("word ".repeat(1000))!;
    expect(long.length).toBe(1000);
    expect(long.endsWith("…")).toBe(true);
  });

  it("has nothing to say for a missing or empty message", () => {
    expect(clientMessage(undefined)).toBeUndefined();
    expect(clientMessage(42)).toBeUndefined();
    expect(clientMessage(" \n ")).toBeUndefined();
  });
});

describe("clientParam and clientCode", () => {
  it("keep what OpenAI writes and drop anything else", () => {
    expect(clientParam("messages[0].content")).toBe("messages[0].content");
    expect(clientParam("<script>")).toBeUndefined();
    expect(clientParam("x".repeat(200))).toBeUndefined();
    expect(clientCode("context_length_exceeded")).toBe("context_length_exceeded");
    expect(clientCode("400")).toBeUndefined();
    expect(clientCode("has spaces")).toBeUndefined();
  });
});

describe("credentialsIn", () => {
  it("finds the key in each dialect's auth header", () => {
    expect(
      credentialsIn({
        authorization: "Bearer sk-1",
        "x-api-key": "sk-ant-2",
        "x-goog-api-key": "AIza3",
        "anthropic-version": "2023-06-01",
      }),
    ).toEqual(["sk-1", "sk-ant-2", "AIza3"]);
  });
});

describe("rejectedError", () => {
  const report = {
    message: "This model's maximum context length is 8192 tokens.",
    param: "messages",
    publicCode: "context_length_exceeded",
  };

  it.each([400, 413, 422])("%i is the client's: the upstream's message, code and param, with its status", (status) => {
    const error = rejectedError(status, "upstream returned 400", report, { cause: null });
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({
      status,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      param: "messages",
      message: report.message,
      retryable: false,
    });
  });

  it.each([401, 402, 403, 404, 409])("%i is the broker's: a generic 502 without the upstream's words", (status) => {
    const error = rejectedError(status, `upstream returned ${status}`, report, { cause: null });
    expect(error).toMatchObject({
      status: 502,
      type: "server_error",
      code: "upstream_rejected",
      param: null,
      message: `upstream returned ${status}`,
    });
  });

  it("says upstream_rejected and the fallback when the upstream gave no code or message", () => {
    const error = rejectedError(
      400,
      "upstream returned 400 (INVALID_ARGUMENT)",
      { publicCode: "not a code" },
      { cause: null },
    );
    expect(error).toMatchObject({ status: 400, code: "upstream_rejected", param: null });
    expect(error.message).toBe("upstream returned 400 (INVALID_ARGUMENT)");
  });
});
