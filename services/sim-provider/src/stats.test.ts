import { describe, expect, it } from "vitest";
import { createRequestStats } from "./stats.js";

describe("request stats", () => {
  it("counts requests by dialect and by tracked match", () => {
    const stats = createRequestStats();
    stats.track("t-1");
    stats.record("openai", "hello t-1");
    stats.record("gemini", "hello t-2");
    stats.record("anthropic", "t-1 again");
    expect(stats.snapshot()).toEqual({
      requests: 3,
      by_dialect: { openai: 1, anthropic: 1, gemini: 1 },
      by_match: { "t-1": 2 },
      streams_aborted: 0,
    });
    expect(stats.count("t-1")).toBe(2);
    expect(stats.count("t-2")).toBe(1);
    expect(stats.count("hello")).toBe(2);
    expect(stats.count("nope")).toBe(0);
  });

  it("keeps a bounded log but exact counters for tracked matches", () => {
    const stats = createRequestStats(3);
    stats.track("x");
    for (let i = 0; i < 5; i++) stats.record("openai", `x ${i}`);
    expect(stats.count("x")).toBe(5);
    expect(stats.count("x 0")).toBe(0);
    expect(stats.count("x 4")).toBe(1);
  });

  it("logs the head and tail of huge texts", () => {
    const stats = createRequestStats();
    stats.record("openai", `start-token ${"y".repeat(100_000)} end-token`);
    expect(stats.count("start-token")).toBe(1);
    expect(stats.count("end-token")).toBe(1);
  });

  it("counts aborted streams in total and by substring", () => {
    const stats = createRequestStats();
    stats.track("t-9");
    stats.record("openai", "t-9 a");
    stats.recordAborted("t-9 a");
    stats.recordAborted("other");
    expect(stats.snapshot().streams_aborted).toBe(2);
    expect(stats.countAborted("t-9")).toBe(1);
    expect(stats.countAborted("oth")).toBe(1);
    expect(stats.countAborted("none")).toBe(0);
    expect(stats.matches()).toEqual(["t-9"]);
  });

  it("resets", () => {
    const stats = createRequestStats();
    stats.track("x");
    stats.record("openai", "x");
    stats.recordAborted("x");
    stats.reset();
    expect(stats.snapshot()).toEqual({
      requests: 0,
      by_dialect: { openai: 0, anthropic: 0, gemini: 0 },
      by_match: {},
      streams_aborted: 0,
    });
    expect(stats.count("x")).toBe(0);
    expect(stats.countAborted("x")).toBe(0);
  });
});
