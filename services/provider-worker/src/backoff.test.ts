import { describe, expect, it } from "vitest";
import { backoffDelay, retryDecision } from "./backoff.js";

const config = { backoffBaseMs: 200, backoffMaxMs: 5000, maxRetryAfterMs: 10_000 };

describe("backoffDelay", () => {
  it("doubles the ceiling per attempt up to the maximum", () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, config, top))).toEqual([
      199, 399, 799, 1599, 3199, 4999, 4999,
    ]);
  });

  it("draws uniformly from zero (full jitter)", () => {
    expect(backoffDelay(4, config, () => 0)).toBe(0);
    expect(backoffDelay(4, config, () => 0.5)).toBe(800);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(3, config);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(800);
    }
  });
});

describe("retryDecision", () => {
  it("backs off when the upstream gave no delay", () => {
    expect(retryDecision({ retryAfterMs: undefined }, 2, config, () => 0.5)).toEqual({ action: "retry", delayMs: 200 });
  });

  it("honours a Retry-After within the bound exactly", () => {
    expect(retryDecision({ retryAfterMs: 1000 }, 1, config)).toEqual({ action: "retry", delayMs: 1000 });
    expect(retryDecision({ retryAfterMs: 10_000 }, 1, config)).toEqual({ action: "retry", delayMs: 10_000 });
  });

  it("moves on when the Retry-After is longer than the bound", () => {
    expect(retryDecision({ retryAfterMs: 10_001 }, 1, config)).toEqual({
      action: "next-route",
      reason: "retry-after-too-long",
    });
  });
});
