import { describe, expect, it } from "vitest";
import type { Model } from "@switchyard/catalog";
import {
  UnusableOutputError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
  type TokenChunk,
} from "@switchyard/contracts";
import type { ChatStreamEvent, ProviderAdapter } from "@switchyard/providers";
import { fakeContext } from "../test-support/context.js";
import { fakeProviders, job, route } from "../test-support/fakes.js";
import { createManualClock, settle } from "../test-support/manual-clock.js";
import { finish, role, scriptedStream, text, type ScriptedStream } from "../test-support/streams.js";
import { createChatStreamHandler } from "./chat-stream.js";
import type { TokenChannel } from "./token-channel.js";

const config = {
  maxAttemptsPerRoute: 2,
  backoffBaseMs: 10,
  backoffMaxMs: 10,
  maxRetryAfterMs: 1000,
  streamWindow: 2,
  streamStallMs: 5000,
};
const model: Model = {
  id: "chat-model",
  kind: "chat",
  family: "openai",
  ownedBy: "x",
  created: 1,
  routes: [route("a"), route("b")],
};

function streamingAdapter(
  scripts: Array<Array<ChatStreamEvent | Error | "hang">>,
  calls: ScriptedStream[],
): ProviderAdapter {
  return {
    chatStream: (_request, { signal }) => {
      const script = scripts.shift();
      if (!script) throw new Error("no stream scripted");
      const { events, state } = scriptedStream(script, signal);
      calls.push(state);
      return events;
    },
  };
}

function setup(
  scripts: Record<string, Array<Array<ChatStreamEvent | Error | "hang">>>,
  options: { receiverGone?: boolean; queuedMs?: number } = {},
) {
  const clock = createManualClock();
  const calls: ScriptedStream[] = [];
  const chunks: TokenChunk[] = [];
  let credit: (seq: number) => void = () => undefined;
  let closed = false;
  let probes = 0;
  const channel: TokenChannel = {
    publish: (chunk) => chunks.push(structuredClone(chunk)),
    onCredit: (listener) => (credit = listener),
    receiverGone: async () => {
      probes++;
      return options.receiverGone ?? false;
    },
    close: () => (closed = true),
  };
  const adapters = Object.fromEntries(Object.entries(scripts).map(([id, s]) => [id, streamingAdapter(s, calls)]));
  const handler = createChatStreamHandler({
    providers: fakeProviders(adapters),
    clock,
    config,
    random: () => 0,
    openTokenChannel: () => channel,
  });
  const ctx = fakeContext(
    job({ stream: true, createdAt: clock.now() - (options.queuedMs ?? 0), deadlineAt: clock.now() + 60_000 }),
    model,
  );
  return {
    clock,
    calls,
    chunks,
    ctx,
    credit: (seq: number) => credit(seq),
    isClosed: () => closed,
    probes: () => probes,
    run: () => handler(ctx),
    /** Runs with a reader that keeps up: credit for every chunk, so the window never fills. */
    runRead: () => {
      const outcome = handler(ctx);
      credit(Number.MAX_SAFE_INTEGER);
      return outcome;
    },
  };
}

describe("streamed chat handler", () => {
  it("publishes each delta's logprobs and the upstream's fingerprint, and completes with them", async () => {
    const scored = (token: string) => ({ content: [{ token, logprob: -0.5, bytes: [], top_logprobs: [] }] });
    const s = setup({
      a: [
        [
          { type: "delta", delta: { role: "assistant", content: "" }, systemFingerprint: "fp_up" },
          { type: "delta", delta: { content: "Hi" }, logprobs: scored("Hi") },
          finish(),
        ],
      ],
    });
    const outcome = await s.runRead();
    // Scored text does not join the unscored role chunk: each chunk's logprobs spell its text.
    expect(s.chunks).toEqual([
      { seq: 1, delta: { role: "assistant", content: "" }, finish_reason: null, system_fingerprint: "fp_up" },
      { seq: 2, delta: { content: "Hi" }, finish_reason: null, logprobs: scored("Hi") },
      { seq: 3, delta: {}, finish_reason: "stop" },
    ]);
    expect(outcome).toMatchObject({
      type: "completed",
      result: { system_fingerprint: "fp_up", choices: [{ logprobs: { content: scored("Hi").content } }] },
    });
  });

  it("falls back to the next route when every attempt fails before the first chunk", async () => {
    const outage = new UpstreamUnavailableError("upstream returned 503");
    const s = setup({ a: [[role(), outage], [outage]], b: [[role(), text("from b"), finish()]] });
    const outcome = await s.run();
    expect(outcome).toMatchObject({ type: "completed", route: "b", attempts: 3, streamEnd: "done", chunks: 2 });
    expect(s.chunks).toEqual([
      { seq: 1, delta: { role: "assistant", content: "from b" }, finish_reason: null },
      { seq: 2, delta: {}, finish_reason: "stop" },
    ]);
    expect(s.ctx.events.map((e) => e.type === "attempt" && `${e.route}:${e.outcome}`)).toEqual([
      "a:error",
      "a:error",
      "b:ok",
    ]);
    expect(s.isClosed()).toBe(true);
  });

  it("answers an empty stream by retrying, and stops at a rejection", async () => {
    const empty = setup({
      a: [
        [role(), finish()],
        [role(), text("second"), finish()],
      ],
      b: [],
    });
    expect(await empty.run()).toMatchObject({ type: "completed", route: "a", attempts: 2 });
    const rejected = setup({ a: [[new UpstreamRejectedError("upstream returned 400", 400)]], b: [] });
    expect(await rejected.run()).toMatchObject({
      type: "failed",
      attempts: 1,
      streamEnd: "error",
      chunks: 0,
      error: { code: "upstream_rejected", status: 400 },
    });
    expect(rejected.chunks).toEqual([]);
  });

  // Validation trims the answer, so whitespace alone is not an answer yet: sent early, it would
  // make a whitespace-only answer fail after the first token instead of being retried unseen.
  it("holds whitespace before the first text and sends it, in order, with that text", async () => {
    const s = setup({ a: [[role(), text("\n"), text("  "), text("Hi"), text(" there"), finish()]] });
    expect(await s.runRead()).toMatchObject({ type: "completed", attempts: 1, streamEnd: "done" });
    expect(s.chunks.map((c) => c.delta.content ?? "").join("")).toBe("\n  Hi there");
    expect(s.chunks[0]).toEqual({ seq: 1, delta: { role: "assistant", content: "\n  Hi" }, finish_reason: null });
  });

  it("holds whitespace before a tool call and sends it first", async () => {
    const call = { index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
    const s = setup({
      a: [[role(), text("\n"), { type: "delta", delta: { tool_calls: [call] } }, finish("tool_calls")]],
    });
    expect(await s.runRead()).toMatchObject({ type: "completed", streamEnd: "done" });
    expect(s.chunks.slice(0, 2)).toEqual([
      { seq: 1, delta: { role: "assistant", content: "\n" }, finish_reason: null },
      { seq: 2, delta: { tool_calls: [call] }, finish_reason: null },
    ]);
  });

  it("retries a whitespace-only answer and falls back before anything reaches the client", async () => {
    const blank = new UnusableOutputError("upstream returned empty output");
    const s = setup({
      a: [
        [role(), text("\n"), text("  "), blank],
        [role(), text("\n\n"), finish()],
      ],
      b: [[role(), text("from b"), finish()]],
    });
    expect(await s.runRead()).toMatchObject({ type: "completed", route: "b", attempts: 3, streamEnd: "done" });
    expect(s.chunks).toEqual([
      { seq: 1, delta: { role: "assistant", content: "from b" }, finish_reason: null },
      { seq: 2, delta: {}, finish_reason: "stop" },
    ]);
    expect(s.ctx.events.map((e) => e.type === "attempt" && `${e.route}:${e.outcome}`)).toEqual([
      "a:error",
      "a:error",
      "b:ok",
    ]);
  });

  it("cancels as client_closed when no credit comes for the stall time, closing the upstream", async () => {
    const s = setup({ a: [[role(), text("one "), text("two "), text("three "), finish()]] });
    const running = s.run();
    for (let i = 0; i < 20 && s.chunks.length < 2; i++) await settle();
    expect(s.chunks.map((c) => c.delta.content)).toEqual(["one ", "two "]);
    await s.clock.advance(4999);
    expect(s.ctx.cancelReason()).toBeNull();
    s.credit(1);
    await settle();
    await s.clock.advance(4999);
    expect(s.chunks).toHaveLength(3);
    expect(s.ctx.cancelReason()).toBeNull();
    await s.clock.advance(5000);
    const outcome = await running;
    expect(s.ctx.cancelReason()).toBe("client_closed");
    expect(outcome).toMatchObject({
      type: "cancelled",
      reason: "client_closed",
      streamEnd: "client_closed",
      chunks: 3,
    });
    expect(s.calls[0]?.closed).toBe(true);
  });

  it("calls no upstream for a job that waited in the queue while its client left", async () => {
    const s = setup({ a: [[role(), text("unread"), finish()]] }, { receiverGone: true, queuedMs: 5_000 });
    const outcome = await s.run();
    expect(s.calls).toEqual([]);
    expect(s.ctx.cancelReason()).toBe("client_closed");
    expect(outcome).toMatchObject({
      type: "failed",
      error: { code: "cancelled" },
      streamEnd: "client_closed",
      chunks: 0,
    });
    expect(s.chunks).toEqual([]);
    expect(s.isClosed()).toBe(true);
  });

  it("does not check on a job taken at once: its first token is not delayed", async () => {
    const s = setup({ a: [[role(), text("quick"), finish()]] }, { receiverGone: true, queuedMs: 10 });
    expect(await s.run()).toMatchObject({ type: "completed", streamEnd: "done" });
    expect(s.probes()).toBe(0);
  });

  it("streams as usual, after the check, for a queued job whose client is still there", async () => {
    const s = setup({ a: [[role(), text("still here"), finish()]] }, { receiverGone: false, queuedMs: 5_000 });
    expect(await s.run()).toMatchObject({ type: "completed", streamEnd: "done" });
    expect(s.probes()).toBe(1);
    expect(s.ctx.cancelReason()).toBeNull();
  });
});
