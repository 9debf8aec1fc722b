import { describe, expect, it } from "vitest";
import { backoffDelay, nextStep, parseRetryAfter } from "./retry-policy.js";

const policy = { maxAttempts: 4, backoffBaseMs: 1_000, backoffMaxMs: 10_000 };

describe("backoffDelay", () => {
  it("doubles per attempt up to the cap, half fixed and half random", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999_999))).toEqual([
      999, 1_999, 3_999, 7_999, 9_999, 9_999,
    ]);
  });
});

describe("nextStep", () => {
  const failed = { delivered: false, permanent: false };

  it("acks a delivered attempt", () => {
    expect(nextStep({ delivered: true, permanent: false }, 3, policy)).toEqual({ action: "ack", outcome: "delivered" });
  });

  it("retries a failed attempt with backoff until the last attempt, then gives up", () => {
    expect(nextStep(failed, 1, policy, () => 0)).toEqual({ action: "retry", outcome: "failed", delayMs: 500 });
    expect(nextStep(failed, 3, policy, () => 0)).toEqual({ action: "retry", outcome: "failed", delayMs: 2_000 });
    expect(nextStep(failed, 4, policy)).toEqual({ action: "ack", outcome: "gave_up" });
    expect(nextStep(failed, 9, policy)).toEqual({ action: "ack", outcome: "gave_up" });
  });

  it("gives up at once when retrying cannot help", () => {
    expect(nextStep({ delivered: false, permanent: true }, 1, policy)).toEqual({ action: "ack", outcome: "gave_up" });
  });

  it("honours the receiver's Retry-After, up to the maximum backoff", () => {
    expect(nextStep({ ...failed, retryAfterMs: 3_000 }, 1, policy)).toMatchObject({ delayMs: 3_000 });
    expect(nextStep({ ...failed, retryAfterMs: 0 }, 1, policy)).toMatchObject({ delayMs: 0 });
    expect(nextStep({ ...failed, retryAfterMs: 3_600_000 }, 1, policy)).toMatchObject({ delayMs: 10_000 });
    expect(nextStep({ ...failed, retryAfterMs: 3_000 }, 4, policy)).toEqual({ action: "ack", outcome: "gave_up" });
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-26T10:00:00Z");

  it("reads delay-seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(["7", "9"], now)).toBe(7_000);
    expect(parseRetryAfter("Thu, 26 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Thu, 26 Nov 2026 09:00:00 GMT", now)).toBe(0);
  });

  it("ignores what it cannot read", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});
