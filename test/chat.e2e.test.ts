import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { randomId } from "@switchyard/contracts";
import { DEV_KEY, startStack, type Stack } from "./support/stack.js";
import { expectApiError } from "./support/api-error.js";

// The synchronous chat path end to end: the official openai client → ingress → JetStream →
// provider worker → simulated upstream over HTTP → EVENTS → ingress, with the ledger running.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    ingressEnv: { REQUEST_TIMEOUT_MS: "6000" },
    workerEnv: { WORKER_BACKOFF_BASE_MS: "20", WORKER_BACKOFF_MAX_MS: "100" },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** A unique marker per test, so its fault rules on the shared simulator touch no other test. */
const marker = (): string => `m${randomId(12)}`;

describe("models", () => {
  it("lists the catalog in the OpenAI list shape with kind and family", async () => {
    const page = await stack.openai.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("gpt-4o-mini");
    const model = page.data.find((m) => m.id === "gpt-4o-mini") as unknown as Record<string, unknown>;
    expect(model).toMatchObject({ object: "model", owned_by: "openai", kind: "chat", family: "openai" });
    expect(typeof model.created).toBe("number");
  });

  it("retrieves one model and 404s an unknown one", async () => {
    const model = await stack.openai.models.retrieve("gpt-4o");
    expect(model.id).toBe("gpt-4o");
    const error = await expectApiError(stack.openai.models.retrieve("no-such-model"));
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
  });
});

describe("chat completions", () => {
  it("answers `Return exactly:` word for word, with usage, in the exact OpenAI shape", async () => {
    const text = `The quick brown fox ${marker()} jumps.`;
    const { data: completion, response: raw } = await stack.openai.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `Return exactly: ${text}` }] })
      .withResponse();
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("gpt-4o-mini");
    expect(typeof completion.created).toBe("number");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expect(completion.choices[0]!.message.content).toBe(text);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(raw.headers.get("x-request-id")).toMatch(/^job_/);
  });

  it("passes unknown fields such as tools through to the upstream", async () => {
    const completion = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Call tool: get_weather {"city":"Oslo"}` }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      temperature: 0.2,
    });
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]!.message.tool_calls?.[0]).toMatchObject({
      type: "function",
      function: { name: "get_weather", arguments: `{"city":"Oslo"}` },
    });
  });

  it("retries an upstream 500 and then succeeds", async () => {
    const m = marker();
    await stack.fault({ match: m, status: 500, times: 1 });
    const completion = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: ok ${m}` }],
    });
    expect(completion.choices[0]!.message.content).toBe(`ok ${m}`);
    expect(await stack.upstreamRequests(m)).toBe(2);
  });

  it("honours Retry-After on an upstream 429", async () => {
    const m = marker();
    await stack.fault({ match: m, status: 429, retry_after: 1, times: 1 });
    const started = Date.now();
    const completion = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: later ${m}` }],
    });
    expect(completion.choices[0]!.message.content).toBe(`later ${m}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await stack.upstreamRequests(m)).toBe(2);
  });

  it("turns unusable output (empty content) into a 502 after retries and fallback", async () => {
    const m = marker();
    await stack.fault({ match: m, empty: true, times: -1 });
    const error = await expectApiError(
      stack.openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `hello ${m}` }],
      }),
    );
    expect(error.status).toBe(502);
    expect(error.type).toBe("server_error");
    expect(error.code).toBe("unusable_output");
    // Three attempts on each of the two routes in gpt-4o-mini's fallback chain.
    expect(await stack.upstreamRequests(m)).toBe(6);
    await fetch(`${stack.simUrl}/_sim/faults`, { method: "DELETE" });
  });

  it("answers 502 when the upstream keeps failing", async () => {
    const m = marker();
    await stack.fault({ match: m, status: 503, times: 6 });
    const error = await expectApiError(
      stack.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `hi ${m}` }] }),
    );
    expect(error.status).toBe(502);
    expect(error.headers?.get("x-request-id")).toMatch(/^job_/);
  });

  it("falls back to the next route when the first keeps failing", async () => {
    const m = marker();
    await stack.fault({ match: m, status: 500, times: 3 });
    const completion = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: fallback ${m}` }],
    });
    expect(completion.choices[0]!.message.content).toBe(`fallback ${m}`);
    expect(await stack.upstreamRequests(m)).toBe(4);
  });

  it("refuses at once, with a 422, a key reused for another request while the first still runs", async () => {
    const m = marker();
    const key = `reuse-${m}`;
    await stack.fault({ match: m, latency_ms: 3_000, times: 1 });
    const first = stack.openai.chat.completions.create(
      { model: "gpt-4o-mini", messages: [{ role: "user", content: `Return exactly: one ${m}` }] },
      { headers: { "Idempotency-Key": key } },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = Date.now();
    const error = await expectApiError(
      stack.openai.chat.completions.create(
        { model: "gpt-4o-mini", messages: [{ role: "user", content: `Return exactly: two ${m}` }] },
        { headers: { "Idempotency-Key": key }, maxRetries: 0 },
      ),
    );
    expect(error.status).toBe(422);
    expect(error.code).toBe("idempotency_key_reused");
    // Not after the first job's 3 s: the earlier job's message in JOBS tells what it asked.
    expect(Date.now() - sent).toBeLessThan(1_500);
    expect((await first).choices[0]!.message.content).toBe(`one ${m}`);
    expect(await stack.upstreamRequests(m)).toBe(1);
  });

  it("answers 504 when no answer comes within the request deadline", async () => {
    const m = marker();
    await stack.fault({ match: m, hang: true, times: -1 });
    const error = await expectApiError(
      stack.openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `wait ${m}` }],
      }),
    );
    expect(error.status).toBe(504);
    expect(error.headers?.get("x-request-id")).toMatch(/^job_/);
  }, 20_000);
});

describe("errors in the OpenAI envelope", () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.ingressUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}`, ...headers },
      body,
    });

  it("400 for malformed JSON", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: "invalid_request_error" });
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  });

  it("400 naming the field for a schema violation", async () => {
    const error = await expectApiError(stack.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [] }));
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe("messages");

    const res = await post(JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "robot", content: "x" }] }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("messages[0].role");
  });

  it("404 model_not_found for an unknown model", async () => {
    const error = await expectApiError(
      stack.openai.chat.completions.create({ model: "gpt-99", messages: [{ role: "user", content: "x" }] }),
    );
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
    expect(error.param).toBe("model");
  });

  it("401 invalid_api_key for a missing or wrong key", async () => {
    const wrong = new OpenAI({ baseURL: `${stack.ingressUrl}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    const error = await expectApiError(wrong.models.list());
    expect(error.status).toBe(401);
    expect(error.code).toBe("invalid_api_key");

    const res = await fetch(`${stack.ingressUrl}/v1/models`);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});
