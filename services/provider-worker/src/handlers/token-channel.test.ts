import { describe, expect, it } from "vitest";
import type { TokenChunk } from "@switchyard/contracts";
import { settle } from "../test-support/manual-clock.js";
import { ChunkWriter } from "./token-channel.js";

function writer() {
  const published: TokenChunk[] = [];
  return { published, writer: new ChunkWriter((chunk) => published.push(structuredClone(chunk))) };
}

describe("ChunkWriter", () => {
  it("joins the text deltas of one event-loop turn into one chunk, published at the turn's end", async () => {
    const { published, writer: w } = writer();
    w.write({ role: "assistant", content: "" });
    w.write({ content: "Hel" });
    w.write({ content: "lo" });
    expect(published).toEqual([]);
    await settle(1);
    expect(published).toEqual([{ seq: 1, delta: { role: "assistant", content: "Hello" }, finish_reason: null }]);
    w.write({ content: " world" });
    await settle(1);
    expect(published.map((c) => [c.seq, c.delta.content])).toEqual([
      [1, "Hello"],
      [2, " world"],
    ]);
  });

  it("lets the first text join a role-only delta, as OpenAI's first chunk carries both", async () => {
    const { published, writer: w } = writer();
    w.write({ role: "assistant" });
    w.write({ content: "Hi" });
    await settle(1);
    expect(published).toEqual([{ seq: 1, delta: { role: "assistant", content: "Hi" }, finish_reason: null }]);
  });

  it("never merges tool calls, refusals or the finish, and keeps the order", () => {
    const { published, writer: w } = writer();
    const call = { index: 0, id: "call_1", function: { name: "f", arguments: "" } };
    w.write({ content: "a" });
    w.write({ tool_calls: [call] });
    w.write({ content: "b" });
    w.write({ refusal: "no" });
    w.write({}, "stop");
    w.flush();
    expect(published).toEqual([
      { seq: 1, delta: { content: "a" }, finish_reason: null },
      { seq: 2, delta: { tool_calls: [call] }, finish_reason: null },
      { seq: 3, delta: { content: "b" }, finish_reason: null },
      { seq: 4, delta: { refusal: "no" }, finish_reason: null },
      { seq: 5, delta: {}, finish_reason: "stop" },
    ]);
    expect(w.seq).toBe(5);
  });

  it("joins the logprobs of merged text deltas so they still spell the chunk; plain text stays without the fields", () => {
    const { published, writer: w } = writer();
    const scored = (token: string) => ({ content: [{ token, logprob: -0.1 }], refusal: null });
    w.write({ role: "assistant" }, null, { systemFingerprint: "fp_a" });
    w.write({ content: "Hel" }, null, { logprobs: scored("Hel") });
    w.write({ content: "lo" }, null, { logprobs: scored("lo") });
    // Text without logprobs does not join text with them, nor does a new fingerprint.
    w.write({ content: "!" });
    w.write({ content: "?" }, null, { systemFingerprint: "fp_b" });
    w.flush();
    expect(published).toEqual([
      { seq: 1, delta: { role: "assistant" }, finish_reason: null, system_fingerprint: "fp_a" },
      {
        seq: 2,
        delta: { content: "Hello" },
        finish_reason: null,
        logprobs: {
          content: [
            { token: "Hel", logprob: -0.1 },
            { token: "lo", logprob: -0.1 },
          ],
          refusal: null,
        },
      },
      { seq: 3, delta: { content: "!" }, finish_reason: null },
      { seq: 4, delta: { content: "?" }, finish_reason: null, system_fingerprint: "fp_b" },
    ]);
    expect(Object.keys(published[2]!)).toEqual(["seq", "delta", "finish_reason"]);
  });

  it("caps a merged chunk, so an upstream that never pauses still yields bounded chunks", () => {
    const { published, writer: w } = writer();
    for (let i = 0; i < 300; i++) w.write({ content: "0123456789" });
    w.flush();
    expect(published.length).toBeGreaterThan(2);
    expect(published.every((c) => (c.delta.content?.length ?? 0) <= 1030)).toBe(true);
    expect(published.map((c) => c.delta.content).join("")).toBe("0123456789".repeat(300));
  });

  it("hands a publish failure from the end-of-turn flush to the next write", async () => {
    let fail = true;
    const w = new ChunkWriter(() => {
      if (fail) throw new Error("connection closed");
    });
    w.write({ content: "a" });
    await settle(1);
    fail = false;
    expect(() => w.write({ content: "b" })).toThrow("connection closed");
  });
});
