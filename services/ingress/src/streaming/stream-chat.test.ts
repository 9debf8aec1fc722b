import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB_ID_PATTERN, type JobSubmitted } from "@switchyard/contracts";
import { createIngressApp } from "../app.js";
import {
  AUTH_A,
  FLOW_WINDOW,
  chatBody,
  chatCompletion,
  chatUsage,
  createHarness,
  testCatalog,
  testConfig,
  textDeltas,
  type Harness,
  type Reaction,
} from "../test-support/harness.js";
import { waitUntil } from "../test-support/private-nats.js";
import { openStream, sseData } from "../test-support/sse-client.js";

let h: Harness;
let baseUrl: string;
/** Reactions by the first message's content; anything else streams "Hel", "lo", " world". */
const scripts = new Map<string, (job: JobSubmitted) => Reaction>();

beforeAll(async () => {
  h = await createHarness();
  h.worker.react = (job) => {
    const content = (job.request["messages"] as { content: string }[])[0]?.content ?? "";
    return scripts.get(content)?.(job) ?? { stream: { deltas: textDeltas(["Hel", "lo", " world"]) } };
  };
  baseUrl = await h.listen();
});
afterAll(async () => {
  await h.close();
});

function streamBody(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return chatBody({ stream: true, messages: [{ role: "user", content }], ...extra });
}

function open(content: string, extra: Record<string, unknown> = {}, url = baseUrl) {
  return openStream(url, "/v1/chat/completions", streamBody(content, extra), AUTH_A);
}

/** Subscriptions the client holds; a test-only look inside nats.js, to prove nothing leaks. */
function subscriptionCount(): number {
  return (h.bus.nc as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size();
}

const failure = {
  message: "The upstream failed after 3 attempts.",
  type: "server_error",
  code: "upstream_unavailable",
  param: null,
  status: 502,
};

/** An ingress app with these settings, listening on a free port for `run`, closed after it. */
async function withApp(env: Record<string, string>, run: (url: string) => Promise<void>): Promise<void> {
  const app = createIngressApp({
    config: testConfig(h.names, env),
    bus: h.bus,
    names: h.names,
    catalog: testCatalog(),
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const address = app.server.address();
    await run(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
  } finally {
    await app.close();
  }
}

describe("streamed chat: the chunks", () => {
  it("sends the exact OpenAI chunk sequence with include_usage, then [DONE]", async () => {
    scripts.set("usage", () => ({
      stream: { deltas: textDeltas(["Hel", "lo", " world"]), usage: chatUsage(7, 3) },
    }));
    const stream = await open("usage", { stream_options: { include_usage: true } });
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream");
    expect(stream.headers["cache-control"]).toBe("no-cache");
    const jobId = String(stream.headers["x-request-id"]);
    expect(jobId).toMatch(JOB_ID_PATTERN);
    const text = await stream.text();

    const job = h.worker.jobs.find((j) => j.id === jobId)!;
    expect(job).toMatchObject({ kind: "chat", stream: true, tenant: "tenant-a" });
    const head = {
      id: `chatcmpl-${jobId.slice(4)}`,
      object: "chat.completion.chunk",
      created: Math.floor(job.createdAt / 1000),
      model: "gpt-4o-mini",
      system_fingerprint: null,
    };
    const choice = (delta: object, finish: string | null) => ({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      usage: null,
    });
    const expected = [
      choice({ role: "assistant", content: "Hel" }, null),
      choice({ content: "lo" }, null),
      choice({ content: " world" }, null),
      choice({}, "stop"),
      { ...head, choices: [], usage: chatUsage(7, 3) },
    ].map((chunk) => JSON.stringify(chunk));
    expect(sseData(text)).toEqual([...expected, "[DONE]"]);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    // Every chunk was credited back to the worker.
    await waitUntil(() => h.worker.streams.get(jobId)?.credit === 4);
  });

  it("leaves usage out entirely without include_usage", async () => {
    const stream = await open("plain");
    const data = sseData(await stream.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(chunks).toHaveLength(4);
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
    expect((chunks[3]!["choices"] as { finish_reason: string }[])[0]!.finish_reason).toBe("stop");
  });

  it("tells a job that completed without streaming a token as one whole answer", async () => {
    scripts.set("whole", (job) => ({ completed: chatCompletion(job.model, "all at once") }));
    const stream = await open("whole", { stream_options: { include_usage: true } });
    expect(stream.status).toBe(200);
    const data = sseData(await stream.text()).map((d) => (d === "[DONE]" ? d : JSON.parse(d)));
    expect(data.map((c) => (c === "[DONE]" ? c : (c.choices[0] ?? "usage")))).toEqual([
      { index: 0, delta: { role: "assistant", content: "all at once" }, logprobs: null, finish_reason: null },
      { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
      "usage",
      "[DONE]",
    ]);
  });

  it("replays a finished keyed job from EVENTS for a retried request", async () => {
    const key = `stream-${Date.now()}`;
    const headers = { ...AUTH_A, "idempotency-key": key };
    const first = await openStream(baseUrl, "/v1/chat/completions", streamBody("plain"), headers);
    const firstText = await first.text();
    const published = h.published.length;
    const again = await openStream(baseUrl, "/v1/chat/completions", streamBody("plain"), headers);
    expect(again.headers["x-request-id"]).toBe(first.headers["x-request-id"]);
    const content = (text: string) =>
      sseData(text)
        .filter((d) => d !== "[DONE]")
        .map((d) => (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
        .join("");
    expect(content(await again.text())).toBe(content(firstText));
    expect(content(firstText)).toBe("Hello world");
    expect(h.published.length).toBe(published);
  });

  it("replays a keyed job under the first request's created and model, as its own stream had them", async () => {
    const headers = { ...AUTH_A, "idempotency-key": `stream-same-${Date.now()}` };
    const first = await openStream(baseUrl, "/v1/chat/completions", streamBody("plain"), headers);
    const heads = (text: string) =>
      sseData(text)
        .filter((d) => d !== "[DONE]")
        .map((d) => {
          const { id, created, model } = JSON.parse(d) as Record<string, unknown>;
          return { id, created, model };
        });
    const original = heads(await first.text())[0];
    expect(original?.model).toBe("gpt-4o-mini");
    // A later second (`created` is in seconds): the replay is the first job's stream.
    await sleep(1_100);
    const again = await openStream(baseUrl, "/v1/chat/completions", streamBody("plain"), headers);
    expect(again.status).toBe(200);
    const replayed = heads(await again.text());
    expect(replayed.length).toBeGreaterThan(0);
    for (const head of replayed) expect(head).toEqual(original);
    // Another model is another request: refused before any event, not served the first job's answer.
    const other = await openStream(
      baseUrl,
      "/v1/chat/completions",
      streamBody("plain", { model: "acme/llama-3.1-8b" }),
      headers,
    );
    expect(other.status).toBe(422);
    expect((JSON.parse(await other.text()) as { error: unknown }).error).toMatchObject({
      code: "idempotency_key_reused",
    });
  });

  it("sends a keep-alive comment while an open stream is quiet", async () => {
    scripts.set("slow", () => ({ stream: { deltas: textDeltas(["a", "b"]), delayMs: 350 } }));
    await withApp({ STREAM_KEEPALIVE_MS: "100" }, async (url) => {
      const text = await (await open("slow", {}, url)).text();
      // None before the first chunk: the headers wait for it.
      expect(text.startsWith("data: ")).toBe(true);
      expect(text).toContain(": keep-alive\n\n");
      expect(sseData(text).at(-1)).toBe("[DONE]");
    });
  });
});

describe("streamed chat: failures", () => {
  it("answers a failure before the first chunk with a JSON error and its status", async () => {
    scripts.set("fail early", () => ({ failed: failure }));
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: AUTH_A,
      payload: streamBody("fail early"),
    });
    expect(res.statusCode).toBe(502);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["x-request-id"]).toMatch(JOB_ID_PATTERN);
    expect(res.json()).toEqual({
      error: { message: failure.message, type: "server_error", param: null, code: "upstream_unavailable" },
    });
  });

  it("ends a stream that fails midway with an in-band error and no [DONE]", async () => {
    scripts.set("fail midway", () => ({
      stream: { deltas: textDeltas(["one", "two"]), finishReason: null, end: { failed: failure } },
    }));
    const stream = await open("fail midway");
    expect(stream.status).toBe(200);
    const text = await stream.text();
    expect(text).not.toContain("[DONE]");
    const data = sseData(text);
    expect(data).toHaveLength(3);
    expect(JSON.parse(data[2]!)).toEqual({
      error: { message: failure.message, type: "server_error", param: null, code: "upstream_unavailable" },
    });
  });

  it("treats a gap in the sequence as an error, and cancels the job as a broken stream", async () => {
    scripts.set("gap", () => ({ stream: { deltas: textDeltas(["a", "b", "c", "d"]), skip: [3] } }));
    const stream = await open("gap");
    const jobId = String(stream.headers["x-request-id"]);
    const text = await stream.text();
    expect(text).not.toContain("[DONE]");
    const data = sseData(text);
    expect(data).toHaveLength(3); // a, b, error
    expect(JSON.parse(data[2]!).error).toMatchObject({ type: "server_error", code: "stream_interrupted" });
    await waitUntil(() => h.worker.streams.get(jobId)?.cancel !== undefined);
    expect(h.worker.streams.get(jobId)?.cancel).toEqual({ reason: "stream_broken" });
  });

  it("treats a lost last chunk (fewer chunks than the worker counted) as an error", async () => {
    scripts.set("lost tail", () => ({ stream: { deltas: textDeltas(["a", "b"]), skip: [3] } }));
    const text = await (await open("lost tail")).text();
    expect(text).not.toContain("[DONE]");
    expect(JSON.parse(sseData(text).at(-1)!).error).toMatchObject({ code: "stream_interrupted" });
  });

  it("answers a gap before anything was sent as a plain 502", async () => {
    scripts.set("gap first", () => ({ stream: { deltas: textDeltas(["a", "b"]), skip: [1] } }));
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: AUTH_A,
      payload: streamBody("gap first"),
    });
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe("stream_interrupted");
  });

  it("ends with an in-band timeout when the deadline passes mid-stream", async () => {
    scripts.set("stall", () => ({ stream: { deltas: textDeltas(["a", "b"]), holdAfter: 1 } }));
    await withApp({ REQUEST_TIMEOUT_MS: "400" }, async (url) => {
      const text = await (await open("stall", {}, url)).text();
      expect(text).not.toContain("[DONE]");
      const data = sseData(text);
      expect(data).toHaveLength(2);
      expect(JSON.parse(data[1]!).error).toMatchObject({ type: "timeout_error", code: "timeout" });
    });
  });

  it("ends a stream whose every chunk arrived as complete at the deadline when EVENTS holds its completion", async () => {
    // The reply is lost (as to a NATS reconnect); the stored terminal event is the authority.
    scripts.set("reply lost", () => ({ stream: { deltas: textDeltas(["a", "b"]), reply: false } }));
    await withApp({ REQUEST_TIMEOUT_MS: "400" }, async (url) => {
      const data = sseData(await (await open("reply lost", {}, url)).text());
      expect(data.at(-1)).toBe("[DONE]");
      expect(data.slice(0, 2).map((d) => JSON.parse(d).choices[0].delta.content)).toEqual(["a", "b"]);
      expect(JSON.parse(data[2]!).choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    });
  });
});

describe("streamed chat: the client", () => {
  it("publishes CancelRequest when the client disconnects mid-stream, and drops its subscriptions", async () => {
    scripts.set("hold", () => ({ stream: { deltas: textDeltas(["a", "b", "c"]), holdAfter: 2 } }));
    const baseline = subscriptionCount();
    const stream = await open("hold");
    const jobId = String(stream.headers["x-request-id"]);
    expect(subscriptionCount()).toBe(baseline + 1); // the tokens; the outcome comes to the shared inbox
    await waitUntil(() => h.worker.streams.get(jobId)?.sent === 2);
    stream.req.destroy();
    await waitUntil(() => h.worker.streams.get(jobId)?.cancel !== undefined);
    expect(h.worker.streams.get(jobId)?.cancel).toEqual({ reason: "client_closed" });
    await waitUntil(() => subscriptionCount() === baseline);
  });

  it("cancels too when the client leaves before the first chunk", async () => {
    scripts.set("hold first", () => ({ stream: { deltas: textDeltas(["a"]), holdAfter: 0 } }));
    const baseline = subscriptionCount();
    const jobsBefore = h.worker.jobs.length;
    const req = request(new URL("/v1/chat/completions", baseUrl), {
      method: "POST",
      headers: { ...AUTH_A, "content-type": "application/json" },
    });
    req.on("error", () => undefined);
    req.end(JSON.stringify(streamBody("hold first")));
    await waitUntil(() => h.worker.jobs.length > jobsBefore);
    const jobId = h.worker.jobs.at(-1)!.id;
    await waitUntil(() => h.worker.streams.has(jobId));
    req.destroy(); // no response yet: no headers go out before the first chunk
    await waitUntil(() => h.worker.streams.get(jobId)?.cancel !== undefined);
    expect(h.worker.streams.get(jobId)?.cancel).toEqual({ reason: "client_closed" });
    await waitUntil(() => subscriptionCount() === baseline);
  });

  it("stops granting credit to a reader that does not read, and resumes when it does", async () => {
    const big = "x".repeat(64 * 1024);
    const total = 240;
    const deltas = textDeltas(Array.from({ length: total }, () => big));
    scripts.set("flood", () => ({ stream: { deltas, resultContent: "(long)" } }));
    const stream = await open("flood");
    const jobId = String(stream.headers["x-request-id"]);
    const progress = () => h.worker.streams.get(jobId)!;
    try {
      // The client reads nothing: the socket fills, credit stops, the worker stalls on a full window.
      let stalledAt = -1;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const before = progress().credit;
        await sleep(300);
        if (progress().stalled && progress().credit === before && before > 0) {
          stalledAt = before;
          break;
        }
        if (Date.now() > deadline) throw new Error(`never stalled: ${JSON.stringify(progress())}`);
      }
      expect(progress().sent).toBe(stalledAt + FLOW_WINDOW);
      expect(progress().sent).toBeLessThan(total);
    } catch (error) {
      stream.req.destroy();
      throw error;
    }

    const text = await stream.text();
    const data = sseData(text);
    expect(data.at(-1)).toBe("[DONE]");
    expect(data).toHaveLength(total + 2); // content chunks, finish chunk, [DONE]
    await waitUntil(() => progress().credit === total + 1);
  });
});
