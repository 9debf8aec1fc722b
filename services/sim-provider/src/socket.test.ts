import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "./app.js";

// These faults are about sockets, which app.inject() does not have: hang, drop and truncated
// streams are checked over real HTTP on a random port.
let app: FastifyInstance;
let base: string;
beforeAll(async () => {
  app = createSimApp();
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app.close();
});

const body = (text: string, stream = false) =>
  JSON.stringify({ model: "gpt-4o-mini", stream, messages: [{ role: "user", content: text }] });

const chat = (text: string, init: { stream?: boolean; fault?: string; signal?: AbortSignal } = {}) =>
  fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(init.fault ? { "x-sim-fault": init.fault } : {}) },
    body: body(text, init.stream),
    ...(init.signal ? { signal: init.signal } : {}),
  });

interface Completion {
  choices: { message: { content: string } }[];
}

const contentOf = async (res: Response): Promise<string | undefined> =>
  ((await res.json()) as Completion).choices[0]?.message.content;

async function stillServes(): Promise<void> {
  expect(await contentOf(await chat("Return exactly: alive"))).toBe("alive");
}

describe("over a real socket", () => {
  it("hang never answers until the client gives up", async () => {
    const started = performance.now();
    await expect(chat("x", { fault: "hang", signal: AbortSignal.timeout(300) })).rejects.toThrow(/abort|timeout/i);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await stillServes();
  });

  it("drop closes the connection without a response", async () => {
    await expect(chat("x", { fault: "drop" })).rejects.toThrow(/fetch failed/);
    await stillServes();
  });

  it("truncate_after cuts a stream after N content chunks", async () => {
    const res = await chat("Return exactly: one two three four five", { stream: true, fault: "truncate_after=2" });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    const failure = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          received += decoder.decode(value, { stream: true });
        }
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(Error);
    const contents = received
      .split("\n\n")
      .filter((frame) => frame.startsWith("data: {"))
      .map((frame) => JSON.parse(frame.slice(6)).choices[0].delta.content);
    expect(contents).toEqual(["", "one", " two"]);
    expect(received).not.toContain("[DONE]");
    await stillServes();
  });

  it("truncate_after sends a JSON body that does not parse", async () => {
    const res = await chat("x", { fault: "truncate_after=30" });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toHaveLength(30);
    expect(() => JSON.parse(text)).toThrow();
  });

  it("survives clients that leave during latency and during a paced stream", async () => {
    await expect(chat("x", { fault: "latency_ms=200", signal: AbortSignal.timeout(50) })).rejects.toThrow();
    const res = await chat("Return exactly: a b c d e f g h", { stream: true, fault: "chunk_delay_ms=50" });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stillServes();
  });

  it("keeps serving many requests on kept-alive connections", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => chat(`Return exactly: n${i}`).then(contentOf)),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`));
  });
});

describe("clients that leave mid-stream", () => {
  const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(" ");
  const requestsFor = async (match: string) =>
    (await (await fetch(`${base}/_sim/requests?match=${match}`)).json()) as { count: number; aborted: number };

  /** Polls until the sim has counted `want` aborted streams for the match (or gives up after 2 s). */
  async function abortedFor(match: string, want: number): Promise<number> {
    const deadline = performance.now() + 2000;
    for (;;) {
      const { aborted } = await requestsFor(match);
      if (aborted >= want || performance.now() > deadline) return aborted;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("keeps a paced stream open for seconds, notices the client going away, and stops", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const res = await chat(`Return exactly: ${words} ab-1`, {
      stream: true,
      fault: "chunk_delay_ms=100",
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    // The content itself, not just "w4": the random chatcmpl- id in every frame may contain that.
    while (!received.includes('"content":" w4"'))
      received += decoder.decode((await reader.read()).value, { stream: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    controller.abort();

    const noticed = performance.now();
    expect(await abortedFor("ab-1", 1)).toBe(1);
    // Noticed when the socket closed, not at the end of the 5 s stream.
    expect(performance.now() - noticed).toBeLessThan(1000);
    expect(await requestsFor("ab-1")).toEqual({ match: "ab-1", count: 1, aborted: 1 });
    const stats = (await (await fetch(`${base}/_sim/stats`)).json()) as { streams_aborted: number };
    expect(stats.streams_aborted).toBeGreaterThanOrEqual(1);
    await stillServes();
  });

  it("counts a client that leaves during the latency before the stream", async () => {
    await expect(
      chat("ab-2", { stream: true, fault: "latency_ms=300", signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();
    expect(await abortedFor("ab-2", 1)).toBe(1);
  });

  it("does not count streams that finish, nor ones the sim cuts itself", async () => {
    const whole = await chat("Return exactly: a b c ab-3", { stream: true, fault: "chunk_delay_ms=10" });
    expect(await whole.text()).toContain("[DONE]");
    const fast = await chat("Return exactly: a b c ab-3", { stream: true });
    expect(await fast.text()).toContain("[DONE]");
    const cut = await chat("Return exactly: a b c ab-3", { stream: true, fault: "truncate_after=1" });
    await cut.text().catch(() => "cut");
    const broken = await chat("Return exactly: a b c ab-3", { stream: true, fault: "error_after=1" });
    await broken.text();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await requestsFor("ab-3")).toEqual({ match: "ab-3", count: 4, aborted: 0 });
  });
});

describe("closing", () => {
  it("does not wait for hung requests", async () => {
    const sim = createSimApp();
    const url = new URL(await sim.listen({ host: "127.0.0.1", port: 0 }));
    const outcome = new Promise<string>((resolve) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: "/v1/chat/completions",
          method: "POST",
          headers: { "x-sim-fault": "hang", "content-type": "application/json" },
        },
        () => resolve("answered"),
      );
      req.on("error", (error) => resolve(error.message));
      req.end(body("x"));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await outcome).toMatch(/socket hang up|ECONNRESET/);
  });
});
