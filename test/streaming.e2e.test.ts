import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { randomId } from "@switchyard/contracts";
import { DEV_KEY, startStack, type Stack } from "./support/stack.js";

// Streamed chat through the broker: exact chunks for the official client, invisible retries
// before the first token (whitespace is not one), an in-band error and no [DONE] after it, and
// cancellation when the client goes away, each recorded by the ledger with how the stream ended.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    families: ["openai", "anthropic"],
    workerEnv: { WORKER_BACKOFF_BASE_MS: "20", WORKER_BACKOFF_MAX_MS: "100" },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const marker = (): string => `m${randomId(12)}`;

interface UsageRow {
  stream_end: string | null;
  outcome: string;
  completion_tokens: number;
}

async function rawStream(body: Record<string, unknown>): Promise<{ status: number; text: string; jobId: string }> {
  const res = await fetch(`${stack.ingressUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` },
    body: JSON.stringify({ model: "gpt-4o-mini", stream: true, ...body }),
  });
  return { status: res.status, text: await res.text(), jobId: res.headers.get("x-request-id") ?? "" };
}

describe("streaming chat", () => {
  it("streams `Return exactly:` word for word with a usage chunk, in the OpenAI chunk shape", async () => {
    const text = `Streaming is ${marker()} a promise kept, chunk by chunk.`;
    const stream = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: ${text}` }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(content).toBe(text);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    expect(withChoices.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(withChoices.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("ends with [DONE] on the wire, and the ledger records the streamed usage (not zero)", async () => {
    const { status, text, jobId } = await rawStream({
      messages: [{ role: "user", content: `Return exactly: counted ${marker()}` }],
    });
    expect(status).toBe(200);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const [row] = await stack.waitForRows<UsageRow>(
      "select stream_end, outcome, completion_tokens from usage where job_id = $1",
      [jobId],
      (r) => r.length === 1,
    );
    expect(row).toMatchObject({ stream_end: "done", outcome: "completed" });
    expect(Number(row!.completion_tokens)).toBeGreaterThan(0);
  });

  it("retries a failure before the first token invisibly", async () => {
    const m = marker();
    await stack.fault({ match: m, status: 500, times: 1 });
    const stream = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: again ${m}` }],
      stream: true,
    });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    expect(content).toBe(`again ${m}`);
    expect(await stack.upstreamRequests(m)).toBe(2);
  });

  it("retries a whitespace-only answer invisibly: whitespace is not a first token", async () => {
    const m = marker();
    await stack.fault({ match: m, blank: true, times: 1 });
    const stream = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: after a blank ${m}` }],
      stream: true,
    });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    expect(content).toBe(`after a blank ${m}`);
    expect(await stack.upstreamRequests(m)).toBe(2);
  });

  it("answers an ordinary JSON 502 when every attempt answers whitespace only", async () => {
    const m = marker();
    await stack.fault({ match: m, blank: true, times: -1 });
    const { status, text } = await rawStream({ messages: [{ role: "user", content: `hello ${m}` }] });
    expect(status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: { type: "server_error", code: "unusable_output" } });
    // Three attempts on each of the two routes in gpt-4o-mini's fallback chain.
    expect(await stack.upstreamRequests(m)).toBe(6);
    await fetch(`${stack.simUrl}/_sim/faults`, { method: "DELETE" });
  });

  it("a mid-stream upstream failure gives an in-band error and no [DONE], recorded as a partial stream", async () => {
    const m = marker();
    await stack.fault({ match: m, error_after: 3, times: -1 });
    const { status, text, jobId } = await rawStream({
      messages: [{ role: "user", content: `Return exactly: one two three four five six seven eight nine ten ${m}` }],
    });
    expect(status).toBe(200);
    expect(text).not.toContain("[DONE]");
    const events = text.split("\n\n").filter((e) => e.startsWith("data: "));
    const last = JSON.parse(events.at(-1)!.slice(6)) as { error?: { message: string; type: string } };
    expect(last.error).toBeDefined();
    expect(typeof last.error!.message).toBe("string");
    expect(events.length).toBeGreaterThan(1);

    // The official client surfaces the in-band error instead of ending quietly.
    const stream = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: a b c d e f g h i j ${m}` }],
      stream: true,
    });
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow();

    const [row] = await stack.waitForRows<UsageRow>(
      "select stream_end, outcome, completion_tokens from usage where job_id = $1",
      [jobId],
      (r) => r.length === 1,
    );
    expect(row).toMatchObject({ stream_end: "error", outcome: "failed" });
    expect(Number(row!.completion_tokens)).toBeGreaterThan(0);
    await fetch(`${stack.simUrl}/_sim/faults`, { method: "DELETE" });
  });

  it("a cut Anthropic stream is recorded with the prompt tokens the upstream reported, not an estimate", async () => {
    const m = marker();
    await stack.fault({ match: m, truncate_after: 3, times: 1 });
    const content = `Return exactly: one two three four five six seven eight nine ten ${m}`;
    const body = { model: "claude-sonnet-4-5", messages: [{ role: "user", content }] };
    const cut = await rawStream(body);
    expect(cut.text).not.toContain("[DONE]");
    const whole = await rawStream(body);
    expect(whole.text.trimEnd().endsWith("data: [DONE]")).toBe(true);

    const rows = await stack.waitForRows<UsageRow & { job_id: string; prompt_tokens: number }>(
      "select job_id, stream_end, outcome, prompt_tokens::int, completion_tokens::int from usage where job_id = any($1)",
      [[cut.jobId, whole.jobId]],
      (r) => r.length === 2,
    );
    const cutRow = rows.find((r) => r.job_id === cut.jobId);
    const wholeRow = rows.find((r) => r.job_id === whole.jobId);
    expect(cutRow).toMatchObject({ stream_end: "error", outcome: "failed" });
    // message_start said so: the sim's count (ceil(chars / 4) + 3 a message), which the
    // characters / 4 estimate misses by the 3.
    expect(cutRow!.prompt_tokens).toBe(Math.ceil(content.length / 4) + 3);
    expect(cutRow!.prompt_tokens).toBe(wholeRow!.prompt_tokens);
    // The cut came before message_delta's count, so the answer so far is estimated.
    expect(cutRow!.completion_tokens).toBeGreaterThan(0);
    expect(cutRow!.completion_tokens).toBeLessThan(wholeRow!.completion_tokens);
  });

  it("a client that disconnects mid-stream cancels the upstream call; the usage so far is recorded", async () => {
    const m = marker();
    await stack.fault({ match: m, chunk_delay_ms: 100, times: 1 });
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ");
    const controller = new AbortController();
    const res = await fetch(`${stack.ingressUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        stream: true,
        messages: [{ role: "user", content: `Return exactly: ${words} ${m}` }],
      }),
      signal: controller.signal,
    });
    const jobId = res.headers.get("x-request-id")!;
    const reader = res.body!.getReader();
    let received = "";
    // Wait until a few words have arrived (matched inside content: the chunk id is random text).
    while (!/"content":"[^"]*\bw3\b/.test(received)) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();

    const [row] = await stack.waitForRows<UsageRow>(
      "select stream_end, outcome, completion_tokens from usage where job_id = $1",
      [jobId],
      (r) => r.length === 1,
    );
    expect(row).toMatchObject({ stream_end: "client_closed", outcome: "cancelled" });
    const stats = (await (await fetch(`${stack.simUrl}/_sim/requests?match=${m}`)).json()) as { aborted?: number };
    expect(stats.aborted).toBe(1);
  });

  // Last in this file: it takes the stack's worker away for a moment.
  it("a client that gives up while its stream is queued costs no upstream call, and the job ends cancelled", async () => {
    const m = marker();
    const since = new Date();
    const worker = stack.workers.find((w) => w.name.includes("openai"))!;
    worker.kill();
    await worker.exited;
    try {
      const controller = new AbortController();
      const request = fetch(`${stack.ingressUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` },
        body: JSON.stringify({
          model: "gpt-4o-mini",
          stream: true,
          messages: [{ role: "user", content: `Return exactly: nobody ${m}` }],
        }),
        signal: controller.signal,
      }).catch(() => undefined);
      // Queued with no worker running; the client gives up.
      await new Promise((r) => setTimeout(r, 700));
      controller.abort();
      await request;
    } finally {
      stack.workers.splice(stack.workers.indexOf(worker), 1);
      await stack.startWorker("openai");
    }
    const [job] = await stack.waitForRows<{ id: string; status: string }>(
      "select j.id, j.status, u.stream_end, u.completion_tokens::int as completion_tokens from jobs j join usage u on u.job_id = j.id where j.created_at >= $1",
      [since],
      (r) => r.length === 1,
    );
    expect(job).toMatchObject({ status: "cancelled", stream_end: "client_closed", completion_tokens: 0 });
    expect(await stack.upstreamRequests(m)).toBe(0);
  }, 60_000);
});
