import { describe, expect, it, onTestFinished } from "vitest";
import { UpstreamUnavailableError, type JobCancelled, type JobCompleted, type JobFailed } from "@switchyard/contracts";
import type { ChatStreamEvent, ProviderAdapter } from "@switchyard/providers";
import { fakeProviders } from "../test-support/fakes.js";
import { openHarness, waitFor, type Harness } from "../test-support/harness.js";
import {
  finish,
  role,
  scriptedStream,
  text,
  usageEvent,
  usageSoFar,
  type ScriptedStream,
} from "../test-support/streams.js";

type Script = Array<ChatStreamEvent | Error | "hang">;

async function harness(): Promise<Harness> {
  const h = await openHarness();
  onTestFinished(() => h.close());
  return h;
}

/** A chat route whose n-th stream call plays the n-th script. */
function streamingRoute(...scripts: Script[]): { adapter: ProviderAdapter; calls: ScriptedStream[] } {
  const calls: ScriptedStream[] = [];
  return {
    calls,
    adapter: {
      chatStream: (_request, { signal }) => {
        const script = scripts[calls.length];
        if (!script) throw new Error("no stream scripted for this call");
        const { events, state } = scriptedStream(script, signal);
        calls.push(state);
        return events;
      },
    },
  };
}

const content = (chunks: Array<{ delta: { content?: string | null | undefined } }>) =>
  chunks.map((c) => c.delta.content ?? "").join("");

const PROMPT = "Say something nice";

describe("streamed chat against NATS", () => {
  it("publishes ordered chunks, then a completed event with the assembled answer", async () => {
    const h = await harness();
    const a = streamingRoute([
      role(),
      text("The "),
      text("quick "),
      text("fox"),
      usageEvent({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }),
      finish("stop"),
    ]);
    await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }) });
    const s = await h.submit(h.newJob({ stream: true }));
    const terminal = (await s.terminal()) as JobCompleted;
    await h.jobsAcked();

    const tokens = s.tokens();
    expect(tokens.map((t) => t.seq)).toEqual(tokens.map((_t, i) => i + 1));
    expect(tokens[0]?.delta.role).toBe("assistant");
    expect(content(tokens)).toBe("The quick fox");
    expect(tokens.at(-1)).toEqual({ seq: tokens.length, delta: {}, finish_reason: "stop" });
    // Every chunk reached the ingress before the terminal event.
    const lastToken = s.received.findLastIndex((r) => r.kind === "token");
    const terminalAt = s.received.findIndex((r) => r.kind === "event" && r.event.type === "completed");
    expect(lastToken).toBeLessThan(terminalAt);

    expect(terminal).toMatchObject({
      type: "completed",
      route: "chat-a",
      attempts: 1,
      streamEnd: "done",
      chunks: tokens.length,
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(terminal.result).toMatchObject({
      id: `chatcmpl-${s.job.id.slice("job_".length)}`,
      object: "chat.completion",
      model: "chat-model",
      created: Math.floor(s.job.createdAt / 1000),
      choices: [{ index: 0, message: { role: "assistant", content: "The quick fox" }, finish_reason: "stop" }],
    });
    expect(s.events().filter((e) => e.type === "attempt")).toEqual([
      expect.objectContaining({ attemptId: "d1.a1", outcome: "ok", httpStatus: 200 }),
    ]);
  });

  it("stops pulling from the upstream while the window is full, and resumes on credit", async () => {
    const h = await harness();
    const words = Array.from({ length: 20 }, (_v, i) => `w${i} `);
    const a = streamingRoute([role(), ...words.map(text), finish()]);
    await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }), config: { streamWindow: 4 } });
    const s = await h.submit(h.newJob({ stream: true }));

    await waitFor(() => s.tokens().length === 4);
    await new Promise((r) => setTimeout(r, 300));
    // The role and the first word share chunk 1; three more words fill the window.
    expect(s.tokens()).toHaveLength(4);
    expect(a.calls[0]?.pulled).toBe(5);

    s.credit(2);
    await waitFor(() => s.tokens().length === 6);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.tokens()).toHaveLength(6);
    expect(a.calls[0]?.pulled).toBe(7);

    s.credit(1000);
    const terminal = await s.terminal();
    expect(terminal).toMatchObject({ type: "completed", streamEnd: "done" });
    expect(content(s.tokens())).toBe(words.join(""));
    expect(s.tokens().map((t) => t.seq)).toEqual(s.tokens().map((_t, i) => i + 1));
    await h.jobsAcked();
  });

  it("treats a reader that grants no credit for the stall time as gone", async () => {
    const h = await harness();
    const a = streamingRoute([role(), ...Array.from({ length: 10 }, (_v, i) => text(`w${i} `)), finish()]);
    await h.startWorker({
      providers: fakeProviders({ "chat-a": a.adapter }),
      config: { streamWindow: 2, streamStallMs: 300 },
    });
    const s = await h.submit(h.newJob({ stream: true }));
    const terminal = (await s.terminal()) as JobCancelled;
    expect(terminal).toMatchObject({
      type: "cancelled",
      reason: "client_closed",
      streamEnd: "client_closed",
      chunks: 2,
    });
    expect(s.tokens()).toHaveLength(2);
    await waitFor(() => a.calls[0]?.closed);
    await h.jobsAcked();
  });

  it("retries a failure before the first chunk invisibly", async () => {
    const h = await harness();
    const a = streamingRoute(
      [role(), new UpstreamUnavailableError("upstream returned 503")],
      [role(), text("second "), text("try"), finish()],
    );
    await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }) });
    const s = await h.submit(h.newJob({ stream: true }));
    const terminal = await s.terminal();
    await h.jobsAcked();

    expect(terminal).toMatchObject({ type: "completed", attempts: 2, route: "chat-a", streamEnd: "done" });
    expect(content(s.tokens())).toBe("second try");
    expect(s.tokens()[0]).toMatchObject({ seq: 1, delta: { role: "assistant" } });
    expect(s.events().filter((e) => e.type === "attempt")).toEqual([
      expect.objectContaining({
        attemptId: "d1.a1",
        outcome: "error",
        error: expect.objectContaining({ code: "upstream_unavailable" }),
      }),
      expect.objectContaining({ attemptId: "d1.a2", outcome: "ok" }),
    ]);
  });

  it("fails a stream that breaks off after the first chunk, with the partial usage", async () => {
    const h = await harness();
    const a = streamingRoute(
      [role(), text("abcdefgh"), text("ij"), new UpstreamUnavailableError("cut", { code: "stream_truncated" })],
      [role(), text("never used"), finish()],
    );
    await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }) });
    const s = await h.submit(h.newJob({ stream: true }));
    const terminal = (await s.terminal()) as JobFailed;
    await h.jobsAcked();

    expect(a.calls).toHaveLength(1);
    expect(terminal).toMatchObject({
      type: "failed",
      route: "chat-a",
      attempts: 1,
      streamEnd: "error",
      chunks: 2,
      error: { code: "stream_interrupted", status: 502 },
      // Nobody reported usage: about four characters a token, prompt and answer alike.
      usage: {
        prompt_tokens: Math.ceil(PROMPT.length / 4),
        completion_tokens: 3,
        total_tokens: Math.ceil(PROMPT.length / 4) + 3,
      },
    });
    expect(content(s.tokens())).toBe("abcdefghij");
    expect(s.events().filter((e) => e.type === "attempt")).toEqual([
      expect.objectContaining({ outcome: "error", error: expect.objectContaining({ code: "stream_truncated" }) }),
    ]);
  });

  it("bills a stream that breaks off with the prompt tokens the upstream reported, estimating only the answer", async () => {
    const h = await harness();
    const a = streamingRoute([
      // Anthropic's message_start: the prompt's count, and a placeholder for the answer's.
      usageSoFar({
        prompt_tokens: 19,
        completion_tokens: 1,
        total_tokens: 20,
        prompt_tokens_details: { cached_tokens: 4 },
      }),
      role(),
      text("abcdefgh"),
      text("ij"),
      new UpstreamUnavailableError("cut", { code: "stream_truncated" }),
    ]);
    await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }) });
    const s = await h.submit(h.newJob({ stream: true }));
    const terminal = (await s.terminal()) as JobFailed;
    await h.jobsAcked();

    expect(terminal).toMatchObject({
      type: "failed",
      streamEnd: "error",
      error: { code: "stream_interrupted" },
      usage: {
        prompt_tokens: 19,
        completion_tokens: 3,
        total_tokens: 22,
        prompt_tokens_details: { cached_tokens: 4 },
      },
    });
  });

  it("bills a stream that breaks off with the answer's tokens too when the upstream counted them", async () => {
    const h = await harness();
    const a = streamingRoute([
      role(),
      text("abcdefgh"),
      usageSoFar({ prompt_tokens: 19, completion_tokens: 2, total_tokens: 21 }, false),
      text("ij"),
      // Anthropic's message_delta, or a Gemini chunk with candidatesTokenCount; then the cut.
      usageSoFar({ prompt_tokens: 19, completion_tokens: 5, total_tokens: 24 }, true),
      new UpstreamUnavailableError("cut", { code: "stream_truncated" }),
    ]);
    await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }) });
    const s = await h.submit(h.newJob({ stream: true }));
    const terminal = (await s.terminal()) as JobFailed;
    await h.jobsAcked();

    expect(terminal).toMatchObject({
      type: "failed",
      streamEnd: "error",
      usage: { prompt_tokens: 19, completion_tokens: 5, total_tokens: 24 },
    });
  });

  it("bills a stream the client left with the prompt tokens the upstream reported", async () => {
    const h = await harness();
    const a = streamingRoute([
      usageSoFar({ prompt_tokens: 19, completion_tokens: 1, total_tokens: 20 }),
      role(),
      text("Hello "),
      text("world"),
      "hang",
    ]);
    await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }) });
    const s = await h.submit(h.newJob({ stream: true }));
    await waitFor(() => content(s.tokens()) === "Hello world");
    s.cancel("client_closed");
    const terminal = (await s.terminal()) as JobCancelled;
    await h.jobsAcked();

    expect(terminal).toMatchObject({
      type: "cancelled",
      streamEnd: "client_closed",
      usage: { prompt_tokens: 19, completion_tokens: 3, total_tokens: 22 },
    });
  });

  it.each([
    ["the client goes away", "client_closed", "client_closed"],
    ["the ingress finds the stream broken", "stream_broken", "error"],
  ] as const)(
    "aborts the upstream when %s and reports cancelled with the partial usage",
    async (_when, reason, streamEnd) => {
      const h = await harness();
      const a = streamingRoute([role(), text("Hello "), text("world"), "hang", text("unseen"), finish()]);
      await h.startWorker({ providers: fakeProviders({ "chat-a": a.adapter }) });
      const s = await h.submit(h.newJob({ stream: true }));
      await waitFor(() => s.tokens().length === 2);
      s.cancel(reason);
      const terminal = (await s.terminal()) as JobCancelled;
      await h.jobsAcked();

      expect(terminal).toMatchObject({
        type: "cancelled",
        reason,
        streamEnd,
        route: "chat-a",
        attempts: 1,
        chunks: 2,
        usage: { prompt_tokens: Math.ceil(PROMPT.length / 4), completion_tokens: 3 },
      });
      expect(a.calls[0]?.signal?.aborted).toBe(true);
      await waitFor(() => a.calls[0]?.closed);
      expect(content(s.tokens())).toBe("Hello world");
    },
  );
});
