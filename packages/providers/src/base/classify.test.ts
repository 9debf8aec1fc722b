import { describe, expect, it } from "vitest";
import { UpstreamRateLimitedError, UpstreamRejectedError, UpstreamUnavailableError } from "@switchyard/contracts";
import {
  classifyAbort,
  classifyFailure,
  classifyStreamError,
  classifyStreamReadError,
  classifyTransportError,
  getUpstreamStatus,
  parseRetryAfter,
} from "./classify.js";

const http = (status: number, headers: Record<string, string> = {}, body = "secret upstream body", code?: string) =>
  classifyFailure({ kind: "http", status, headers, body, detail: { code } }, Date.parse("2025-01-01T00:00:00Z"));

describe("parseRetryAfter", () => {
  const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
  it.each([
    ["2", 2000],
    ["0", 0],
    [" 1.5 ", 1500],
    ["Wed, 21 Oct 2015 07:28:03 GMT", 3000],
    ["Wed, 21 Oct 2015 07:27:00 GMT", 0],
    ["soon", undefined],
    ["-1", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%j → %j", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe("classifyFailure", () => {
  it("429 is rate limited and retryable, with Retry-After in ms", () => {
    const error = http(429, { "retry-after": "3" });
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(3000);
  });

  it("prefers OpenAI's retry-after-ms and falls back to a body hint", () => {
    expect(http(429, { "retry-after": "3", "retry-after-ms": "157" }).retryAfterMs).toBe(157);
    const error = classifyFailure({
      kind: "http",
      status: 429,
      headers: {},
      body: "",
      detail: { retryAfterMs: 37_000 },
    });
    expect(error.retryAfterMs).toBe(37_000);
  });

  it.each([500, 502, 503, 504, 529])("%i is unavailable and retryable", (status) => {
    const error = http(status);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(502);
  });

  it("503 with Retry-After carries the delay", () => {
    expect(http(503, { "retry-after": "1" }).retryAfterMs).toBe(1000);
  });

  it("408 is a retryable timeout", () => {
    const error = http(408);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.code).toBe("upstream_timeout");
  });

  it.each([400, 401, 403, 404, 413, 422, 501, 302])("%i is rejected and not retryable", (status) => {
    const error = http(status);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error.retryable).toBe(false);
    expect(error.status).toBe([400, 413, 422].includes(status) ? status : 502);
  });

  it("a rejection of the client's request carries the upstream's cleaned message, code and param", () => {
    const detail = {
      code: "context_length_exceeded",
      message: "This model's maximum context length is 8192 tokens (key sk-live-abcdef).",
      param: "messages",
      publicCode: "context_length_exceeded",
    };
    const error = classifyFailure({ kind: "http", status: 400, headers: {}, body: "{}", detail });
    expect(error).toMatchObject({
      status: 400,
      code: "context_length_exceeded",
      param: "messages",
      message: "This model's maximum context length is 8192 tokens (key [redacted]).",
    });
    expect(getUpstreamStatus(error)).toBe(400);
  });

  it("a 400 standing for a 401 (Gemini's wrong key) stays the broker's generic 502", () => {
    const detail = { code: "API_KEY_INVALID", equivalentStatus: 401, message: "API key not valid." };
    const error = classifyFailure({ kind: "http", status: 400, headers: {}, body: "{}", detail });
    expect(error).toMatchObject({
      status: 502,
      code: "upstream_rejected",
      message: "upstream returned 400 (API_KEY_INVALID)",
    });
  });

  it("says only the status and a short code; the body stays in the cause", () => {
    const error = http(503, {}, "secret upstream body", "overloaded_error");
    expect(error.message).toBe("upstream returned 503 (overloaded_error)");
    expect(error.message).not.toContain("secret");
    expect(String((error.cause as Error).message)).toContain("secret upstream body");
    expect(getUpstreamStatus(error)).toBe(503);
  });

  it("truncates the body kept for logs", () => {
    const error = http(500, {}, "x".repeat(10_000));
    expect((error.cause as Error).message.length).toBeLessThan(2200);
  });
});

describe("classifyTransportError", () => {
  it("treats our timeout signal and undici timeouts as retryable timeouts", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    for (const error of [
      timeout,
      Object.assign(new Error("Headers Timeout Error"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
    ]) {
      const classified = classifyTransportError(error);
      expect(classified).toBeInstanceOf(UpstreamUnavailableError);
      expect(classified.code).toBe("upstream_timeout");
      expect(classified.retryable).toBe(true);
      expect(getUpstreamStatus(classified)).toBeNull();
    }
  });

  it("treats connection errors as retryable outages naming the code", () => {
    const error = classifyTransportError(
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
    );
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toBe("upstream connection failed (ECONNREFUSED)");
  });

  it("reports an explicit abort as such", () => {
    expect(classifyTransportError(new DOMException("This operation was aborted", "AbortError")).code).toBe(
      "upstream_aborted",
    );
  });
});

describe("classifyStreamError", () => {
  const inBand = (equivalentStatus: number, code?: string) =>
    classifyStreamError({ equivalentStatus, httpStatus: 200, body: "secret stream body", detail: { code } });

  it("classifies by the status the error stands for and keeps the real status in the cause", () => {
    const overloaded = inBand(529, "overloaded_error");
    expect(overloaded).toBeInstanceOf(UpstreamUnavailableError);
    expect(overloaded).toMatchObject({ retryable: true, message: "upstream stream failed (overloaded_error)" });
    expect(getUpstreamStatus(overloaded)).toBe(200);
    expect(inBand(429)).toBeInstanceOf(UpstreamRateLimitedError);
    expect(inBand(400, "invalid_request_error")).toMatchObject({ retryable: false, status: 400 });
    expect(inBand(500).message).not.toContain("secret");
  });
});

describe("classifyStreamReadError", () => {
  const live = new AbortController().signal;

  it("calls a socket failure after the headers a truncated stream", () => {
    const error = classifyStreamReadError(
      Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }),
      live,
    );
    expect(error).toMatchObject({ code: "stream_truncated", retryable: true });
  });

  it("keeps body timeouts and the caller's abort as they are", () => {
    const timeout = Object.assign(new Error("Body Timeout Error"), { code: "UND_ERR_BODY_TIMEOUT" });
    expect(classifyStreamReadError(timeout, live).code).toBe("upstream_timeout");
    const controller = new AbortController();
    controller.abort();
    expect(classifyStreamReadError(new Error("whatever undici threw"), controller.signal).code).toBe(
      "upstream_aborted",
    );
    expect(classifyAbort(AbortSignal.abort(new DOMException("deadline", "TimeoutError"))).code).toBe(
      "upstream_timeout",
    );
  });
});
