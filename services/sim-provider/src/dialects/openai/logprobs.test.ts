import { describe, expect, it } from "vitest";
import { tokenLogprob } from "./logprobs.js";

describe("tokenLogprob", () => {
  it("is the same for the same token and differs between tokens", () => {
    expect(tokenLogprob(" fox", 3)).toEqual(tokenLogprob(" fox", 3));
    expect(tokenLogprob(" fox", 0).logprob).not.toBe(tokenLogprob(" dog", 0).logprob);
  });

  it("lists up to 20 distinct alternatives, most likely first, the token itself at the top", () => {
    for (const token of [" the", ",", "é", " fox"]) {
      const entry = tokenLogprob(token, 20);
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.logprob).toBeGreaterThan(-1);
      expect(entry.top_logprobs).toHaveLength(20);
      expect(entry.top_logprobs[0]!.token).toBe(token);
      expect(new Set(entry.top_logprobs.map((t) => t.token)).size).toBe(20);
      const logprobs = entry.top_logprobs.map((t) => t.logprob);
      expect(logprobs).toEqual([...logprobs].sort((a, b) => b - a));
    }
    expect(tokenLogprob("é", 0).bytes).toEqual([0xc3, 0xa9]);
  });
});
