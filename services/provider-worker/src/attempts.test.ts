import { describe, expect, it } from "vitest";
import {
  AttemptRecorded,
  InvalidRequestError,
  UnusableOutputError,
  UpstreamRejectedError,
  type AttemptRecorded as AttemptEvent,
} from "@switchyard/contracts";
import { classifyFailure } from "@switchyard/providers";
import type { ChatResult } from "@switchyard/providers";
import { runAttempts, type AttemptConfig, type AttemptLoopInput } from "./attempts.js";
import { createFakeClock, job, ok, route, scriptedProviders, type Step } from "./test-support/fakes.js";

const config: AttemptConfig = {
  maxAttemptsPerRoute: 3,
  backoffBaseMs: 200,
  backoffMaxMs: 5000,
  maxRetryAfterMs: 10_000,
};
/** The chat call, as the chat handler makes it. */
const chat: Pick<AttemptLoopInput<ChatResult>, "call" | "httpStatus"> = {
  call: (adapter, _route, signal) =>
    adapter.chat!({ model: "m", messages: [{ role: "user", content: "hi" }] }, { signal }),
  httpStatus: (result) => result.httpStatus,
};
const http = (status: number, headers: Record<string, string> = {}) =>
  classifyFailure({ kind: "http", status, headers, body: "upstream said no", detail: {} });

async function run(
  scripts: Record<string, Step[]>,
  options: { routes?: string[]; deadlineIn?: number; delivery?: number } = {},
) {
  const clock = createFakeClock();
  const providers = scriptedProviders(scripts);
  const events: AttemptEvent[] = [];
  const j = job({ createdAt: clock.now(), deadlineAt: clock.now() + (options.deadlineIn ?? 120_000) });
  const outcome = await runAttempts(
    {
      job: j,
      ...chat,
      routes: (options.routes ?? Object.keys(scripts)).map((id) => route(id)),
      delivery: options.delivery ?? 1,
    },
    { providers, clock, config, onAttempt: (e) => events.push(e), random: () => 0.5 },
  );
  for (const event of events) AttemptRecorded.parse(event);
  return { outcome, events, clock, providers };
}

describe("runAttempts", () => {
  it("returns the first usable answer and records one ok attempt", async () => {
    const { outcome, events } = await run({ a: [ok("hi")] }, { delivery: 2 });
    expect(outcome).toMatchObject({ ok: true, attempts: 1, route: { id: "a" } });
    expect(events).toEqual([
      expect.objectContaining({
        attemptId: "d2.a1",
        route: "a",
        upstreamModel: "a-model",
        outcome: "ok",
        httpStatus: 200,
        error: null,
        retryInMs: null,
      }),
    ]);
  });

  it("retries a retryable error on the same route with jittered exponential backoff", async () => {
    const { outcome, events, clock } = await run({ a: [http(503), http(500), ok()] });
    expect(outcome).toMatchObject({ ok: true, attempts: 3 });
    expect(clock.sleeps).toEqual([100, 200]);
    expect(events.map((e) => [e.attemptId, e.outcome, e.httpStatus, e.retryInMs])).toEqual([
      ["d1.a1", "error", 503, 100],
      ["d1.a2", "error", 500, 200],
      ["d1.a3", "ok", 200, null],
    ]);
    expect(events[0]?.error).toEqual({
      message: "upstream returned 503",
      type: "server_error",
      code: "upstream_unavailable",
      param: null,
      status: 502,
    });
  });

  it("waits exactly the upstream's Retry-After when it is within the bound", async () => {
    const { clock, events } = await run({ a: [http(429, { "retry-after": "2" }), ok()] });
    expect(clock.sleeps).toEqual([2000]);
    expect(events[0]).toMatchObject({
      httpStatus: 429,
      retryInMs: 2000,
      error: { code: "rate_limit_exceeded", status: 429 },
    });
  });

  it("moves to the next route at once when the Retry-After is too long", async () => {
    const { outcome, events, clock } = await run({ a: [http(429, { "retry-after": "60" })], b: [ok()] });
    expect(outcome).toMatchObject({ ok: true, route: { id: "b" }, attempts: 2 });
    expect(clock.sleeps).toEqual([]);
    expect(events.map((e) => [e.route, e.retryInMs])).toEqual([
      ["a", 0],
      ["b", null],
    ]);
  });

  it("falls back after the route's attempts are used up, including on unusable output", async () => {
    const empty = new UnusableOutputError("upstream returned empty output");
    const { outcome, events } = await run({ a: [empty, empty, empty], b: [ok("from b")] });
    expect(outcome.ok && outcome.result.completion.choices[0]?.message.content).toBe("from b");
    expect(events.map((e) => `${e.route}:${e.outcome}:${e.retryInMs}`)).toEqual([
      "a:error:100",
      "a:error:200",
      "a:error:0",
      "b:ok:null",
    ]);
  });

  it("fails at once on a rejection, without trying other routes", async () => {
    const { outcome, events, providers } = await run({ a: [http(400)], b: [ok()] });
    expect(outcome).toMatchObject({ ok: false, attempts: 1, route: { id: "a" } });
    expect(!outcome.ok && outcome.error).toBeInstanceOf(UpstreamRejectedError);
    expect(!outcome.ok && outcome.error.status).toBe(400);
    expect(providers.calls).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "error", httpStatus: 400, retryInMs: null });
  });

  it("fails with the last error when every route is exhausted", async () => {
    const { outcome, events } = await run({
      a: [http(502), http(502), http(502)],
      b: [http(503), http(503), http(504)],
    });
    expect(outcome).toMatchObject({
      ok: false,
      attempts: 6,
      route: { id: "b" },
      error: { message: "upstream returned 504" },
    });
    expect(events.at(-1)).toMatchObject({ attemptId: "d1.a6", retryInMs: null });
  });

  it("aborts at the job's deadline and reports a timeout", async () => {
    const clock = createFakeClock();
    const slow: Step = () => {
      clock.advance(5_000);
      throw classifyFailure({ kind: "timeout", cause: new Error("aborted") });
    };
    const providers = scriptedProviders({ a: [slow], b: [ok()] });
    const events: AttemptEvent[] = [];
    const j = job({ deadlineAt: clock.now() + 4_000 });
    const outcome = await runAttempts(
      {
        job: j,
        ...chat,
        routes: [route("a"), route("b")],
        delivery: 1,
      },
      { providers, clock, config, onAttempt: (e) => events.push(e) },
    );
    expect(outcome).toMatchObject({ ok: false, attempts: 1, error: { code: "timeout", status: 504 } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      outcome: "error",
      httpStatus: null,
      latencyMs: 5000,
      error: { code: "upstream_timeout" },
    });
  });

  it("bounds each call by the remaining time and the route timeout", async () => {
    const { providers } = await run({ a: [ok()] }, { deadlineIn: 60_000 });
    expect(providers.calls[0]?.signal.aborted).toBe(false);
  });

  it("does not sleep past the deadline: it falls back instead, or gives up on the last route", async () => {
    const fallback = await run({ a: [http(429, { "retry-after": "5" })], b: [ok()] }, { deadlineIn: 3000 });
    expect(fallback.outcome).toMatchObject({ ok: true, route: { id: "b" } });
    expect(fallback.clock.sleeps).toEqual([]);
    const last = await run({ a: [http(429, { "retry-after": "5" })] }, { deadlineIn: 3000 });
    expect(last.outcome).toMatchObject({ ok: false, attempts: 1, error: { code: "rate_limit_exceeded" } });
    expect(last.events[0]?.retryInMs).toBeNull();
  });

  it("does not retry our own bugs or invalid requests", async () => {
    const bug = await run({ a: [new TypeError("x is undefined")], b: [ok()] });
    expect(bug.outcome).toMatchObject({ ok: false, attempts: 1, error: { code: "internal_error", status: 500 } });
    const invalid = await run({ a: [new InvalidRequestError("bad part", { param: "messages.0" })], b: [ok()] });
    expect(invalid.outcome).toMatchObject({ ok: false, attempts: 1, error: { status: 400, param: "messages.0" } });
  });

  it("ends at once when the job is cancelled, recording the aborted call", async () => {
    const clock = createFakeClock();
    const cancel = new AbortController();
    const aborting: Step = () => {
      cancel.abort();
      throw classifyFailure({ kind: "aborted", cause: new Error("aborted") });
    };
    const providers = scriptedProviders({ a: [aborting, ok()], b: [ok()] });
    const events: AttemptEvent[] = [];
    const outcome = await runAttempts(
      { job: job(), routes: [route("a"), route("b")], delivery: 1, signal: cancel.signal, ...chat },
      { providers, clock, config, onAttempt: (e) => events.push(e) },
    );
    expect(outcome).toMatchObject({ ok: false, attempts: 1, error: { code: "cancelled" } });
    expect(providers.calls).toHaveLength(1);
    expect(providers.calls[0]?.signal.aborted).toBe(true);
    expect(events).toEqual([expect.objectContaining({ outcome: "error", retryInMs: null })]);
  });

  it("leaves the successful attempt's event to the caller when asked (a stream ends later)", async () => {
    const clock = createFakeClock();
    const events: AttemptEvent[] = [];
    const outcome = await runAttempts(
      { job: job(), routes: [route("a")], delivery: 1, deferSuccessEvent: true, ...chat },
      {
        providers: scriptedProviders({ a: [http(503), ok()] }),
        clock,
        config,
        onAttempt: (e) => events.push(e),
        random: () => 0,
      },
    );
    expect(outcome).toMatchObject({ ok: true, attempts: 2, startedAt: clock.now() });
    expect(events.map((e) => e.outcome)).toEqual(["error"]);
  });
});
