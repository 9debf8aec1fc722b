import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB_ID_PATTERN, type JobSubmitted } from "@switchyard/contracts";
import { createIngressApp } from "../app.js";
import {
  AUTH_A,
  KEY_B,
  chatBody,
  chatCompletion,
  createHarness,
  testCatalog,
  testConfig,
  type Harness,
  type Reaction,
} from "../test-support/harness.js";

let h: Harness;

/** The fake worker's answer is chosen by the first message's content. */
function react(job: JobSubmitted): Reaction | Promise<Reaction> {
  const messages = job.request["messages"] as { content: string }[];
  const content = messages[0]?.content ?? "";
  if (content === "never answer") return "ignore";
  if (content === "fail upstream") {
    return {
      failed: {
        message: "The upstream failed after 3 attempts.",
        type: "server_error",
        code: "upstream_unavailable",
        param: null,
        status: 502,
      },
    };
  }
  if (content === "fail rejected") {
    return {
      failed: {
        message: "Upstream rejected the request: bad tool schema",
        type: "invalid_request_error",
        code: "upstream_rejected",
        param: null,
        status: 400,
      },
    };
  }
  if (content === "fail ratelimited") {
    return {
      failed: {
        message: "Rate limited upstream.",
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        param: null,
        status: 429,
      },
    };
  }
  if (content.startsWith("slow ")) {
    return sleep(Number(content.slice(5))).then(() => ({
      completed: chatCompletion(job.model, `slow answer ${job.id}`),
    }));
  }
  return { completed: chatCompletion(job.model, `answer to ${content}`) };
}

beforeAll(async () => {
  h = await createHarness();
  h.worker.react = react;
});
afterAll(async () => {
  await h.close();
});

function post(body: unknown, headers: Record<string, string> = {}) {
  return h.app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    headers: { ...AUTH_A, ...headers },
    payload: body as object,
  });
}

function jobSeen(id: string): JobSubmitted | undefined {
  return h.worker.jobs.find((job) => job.id === id);
}

describe("POST /v1/chat/completions: answers", () => {
  it("publishes a chat job and answers 200 with the worker's result, exactly", async () => {
    let sent: Record<string, unknown> | undefined;
    h.worker.react = (job) => {
      sent = chatCompletion(job.model, "exact");
      return { completed: sent };
    };
    try {
      const res = await post(chatBody());
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(res.body).toBe(JSON.stringify(sent));
      const id = String(res.headers["x-request-id"]);
      expect(id).toMatch(JOB_ID_PATTERN);
      const job = jobSeen(id);
      expect(job).toMatchObject({
        version: 1,
        id,
        kind: "chat",
        family: "openai",
        model: "gpt-4o-mini",
        tenant: "tenant-a",
      });
      expect(job!.deadlineAt - job!.createdAt).toBe(120_000);
      expect(job!.idempotencyKey).toBeUndefined();
    } finally {
      h.worker.react = react;
    }
  });

  it("keeps unknown fields in the published request, unchanged", async () => {
    const body = chatBody({
      messages: [{ role: "user", content: "with tools", cache_control: { type: "ephemeral" } }],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }],
      tool_choice: "auto",
      temperature: 0.2,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
      user: "u-1",
      metadata: { a: "b" },
    });
    const res = await post(body);
    expect(res.statusCode).toBe(200);
    expect(jobSeen(String(res.headers["x-request-id"]))?.request).toEqual(body);
  });

  it("takes null for the fields OpenAI lets clients send as null (n, stream), answering as JSON", async () => {
    const body = chatBody({ n: null, stream: null, stream_options: null, max_tokens: null, temperature: null });
    const res = await post(body);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(jobSeen(String(res.headers["x-request-id"]))?.request).toEqual(body);
  });

  it("serves a model whose id has a slash", async () => {
    const res = await post(chatBody({ model: "acme/llama-3.1-8b" }));
    expect(res.statusCode).toBe(200);
    expect(jobSeen(String(res.headers["x-request-id"]))).toMatchObject({
      model: "acme/llama-3.1-8b",
      family: "openai",
    });
  });

  it("renders a failed job as the envelope of its error, with its status", async () => {
    const res = await post(chatBody({ messages: [{ role: "user", content: "fail upstream" }] }));
    expect(res.statusCode).toBe(502);
    expect(res.headers["x-request-id"]).toMatch(JOB_ID_PATTERN);
    expect(res.json()).toEqual({
      error: {
        message: "The upstream failed after 3 attempts.",
        type: "server_error",
        param: null,
        code: "upstream_unavailable",
      },
    });

    const rejected = await post(chatBody({ messages: [{ role: "user", content: "fail rejected" }] }));
    expect(rejected.statusCode).toBe(400);
    expect(rejected.json().error).toMatchObject({ type: "invalid_request_error", code: "upstream_rejected" });

    const limited = await post(chatBody({ messages: [{ role: "user", content: "fail ratelimited" }] }));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("1");
  });

  it("answers 504 timeout when no terminal event arrives before the deadline", async () => {
    const app = createIngressApp({
      config: testConfig(h.names, { REQUEST_TIMEOUT_MS: "300" }),
      bus: h.bus,
      names: h.names,
      catalog: testCatalog(),
    });
    const started = Date.now();
    const res = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: AUTH_A,
      payload: chatBody({ messages: [{ role: "user", content: "never answer" }] }),
    });
    const elapsed = Date.now() - started;
    await app.close();
    expect(res.statusCode).toBe(504);
    expect(res.json()).toEqual({
      error: { message: expect.any(String), type: "timeout_error", param: null, code: "timeout" },
    });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3000);
    const job = jobSeen(String(res.headers["x-request-id"]));
    expect(job!.deadlineAt - job!.createdAt).toBe(300);
  });
});

describe("POST /v1/chat/completions: refusals", () => {
  it.each([
    ["messages missing", { model: "gpt-4o-mini" }, "messages"],
    ["model missing", { messages: [{ role: "user", content: "hi" }] }, "model"],
    ["bad role", { model: "gpt-4o-mini", messages: [{ role: "robot", content: "hi" }] }, "messages[0].role"],
    ["empty messages", { model: "gpt-4o-mini", messages: [] }, "messages"],
    ["bad temperature", chatBody({ temperature: 7 }), "temperature"],
    ["response_format a string", chatBody({ response_format: "json" }), "response_format"],
    ["response_format of no known type", chatBody({ response_format: { type: "xml" } }), "response_format.type"],
    [
      "json_schema without json_schema",
      chatBody({ response_format: { type: "json_schema" } }),
      "response_format.json_schema",
    ],
    [
      "json_schema with a bad name",
      chatBody({ response_format: { type: "json_schema", json_schema: { name: "a name", schema: {} } } }),
      "response_format.json_schema.name",
    ],
    [
      "json_schema whose schema is no object",
      chatBody({ response_format: { type: "json_schema", json_schema: { name: "x", schema: [] } } }),
      "response_format.json_schema.schema",
    ],
    [
      "json_schema with a strict that is no boolean",
      chatBody({ response_format: { type: "json_schema", json_schema: { name: "x", strict: "yes" } } }),
      "response_format.json_schema.strict",
    ],
  ])("400s a schema violation (%s) naming the field", async (_name, body, param) => {
    const before = h.published.length;
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.headers["x-request-id"]).toMatch(/^req_/);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", param });
    expect(h.published.length).toBe(before);
  });

  it("413s a request too large for NATS (over its max_payload, under the HTTP limit), rather than a 503 to retry", async () => {
    const before = h.published.length;
    const content = "x".repeat(h.bus.nc.info!.max_payload);
    const res = await post(chatBody({ messages: [{ role: "user", content }] }));
    expect(res.statusCode).toBe(413);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", param: null, code: "request_too_large" });
    expect(h.published.length).toBe(before);
  });

  it("400s a body nested thousands of levels deep, rather than a 503 to retry", async () => {
    const before = h.published.length;
    const deep = `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
    const payload = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"extra":${deep}}`;
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...AUTH_A, "content-type": "application/json" },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
    expect(h.published.length).toBe(before);
  });

  it("404s an unknown model", async () => {
    const res = await post(chatBody({ model: "gpt-9" }));
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({
      message: "The model 'gpt-9' does not exist or you do not have access to it.",
      type: "invalid_request_error",
      param: "model",
      code: "model_not_found",
    });
  });

  it("400s a model of another kind", async () => {
    const res = await post(chatBody({ model: "gpt-image-1" }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", param: "model" });
  });

  it("refuses a bad streamed request with a plain JSON 400, before any event is sent", async () => {
    const before = h.published.length;
    const res = await post(chatBody({ stream: true, temperature: 7 }));
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", param: "temperature" });
    const wrongKind = await post(chatBody({ stream: true, model: "gpt-image-1" }));
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json().error.param).toBe("model");
    expect(h.published.length).toBe(before);
  });
});

describe("POST /v1/chat/completions: Idempotency-Key", () => {
  it("runs one job for concurrent requests with the same key and gives both its answer", async () => {
    const key = `key-${Date.now()}`;
    const body = chatBody({ messages: [{ role: "user", content: "slow 300" }] });
    const publishedBefore = h.published.length;
    const storedBefore = await h.storedJobCount();

    const [first, second] = await Promise.all([
      post(body, { "idempotency-key": key }),
      post(body, { "idempotency-key": key }),
    ]);
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    const id = String(first.headers["x-request-id"]);
    expect(second.headers["x-request-id"]).toBe(id);
    expect(h.worker.jobs.filter((job) => job.id === id)).toHaveLength(1);
    expect(jobSeen(id)?.idempotencyKey).toBe(key);
    expect(h.published.length - publishedBefore).toBe(2); // both published ...
    expect((await h.storedJobCount()) - storedBefore).toBe(1); // ... JetStream kept one

    // After completion, a retry is answered from EVENTS without publishing at all.
    const third = await post(body, { "idempotency-key": key });
    expect(third.statusCode).toBe(200);
    expect(third.body).toBe(first.body);
    expect(third.headers["x-request-id"]).toBe(id);
    expect(h.published.length - publishedBefore).toBe(2);
    expect(h.worker.jobs.filter((job) => job.id === id)).toHaveLength(1);
  });

  it("refuses with a 422 a key reused for another request, finished or still running, and runs nothing for it", async () => {
    const key = `reuse-${Date.now()}`;
    const body = chatBody({ messages: [{ role: "user", content: "slow 300" }] });
    const other = chatBody({ messages: [{ role: "user", content: "something else" }] });
    const publishedBefore = h.published.length;
    // While the first runs: the retry follows the key's job and is refused once it ends.
    const [first, running] = await Promise.all([
      post(body, { "idempotency-key": key }),
      sleep(50).then(() => post(other, { "idempotency-key": key })),
    ]);
    expect(first.statusCode).toBe(200);
    expect(running.statusCode).toBe(422);
    expect(running.json().error).toEqual({
      message: expect.stringContaining("already used for a different request") as string,
      type: "invalid_request_error",
      param: null,
      code: "idempotency_key_reused",
    });
    // Finished: answered from EVENTS, without publishing.
    const finished = await post(other, { "idempotency-key": key });
    expect(finished.statusCode).toBe(422);
    expect(finished.headers["x-request-id"]).toBe(first.headers["x-request-id"]);
    expect(h.published.length - publishedBefore).toBe(2);
    expect(h.worker.jobs.filter((job) => job.id === first.headers["x-request-id"])).toHaveLength(1);
    // The same request again, its fields in another order, is still the first job's.
    const reordered = { messages: body.messages, model: body.model };
    const again = await post(reordered, { "idempotency-key": key });
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
  });

  it("answers a retry of a failed keyed job from EVENTS too", async () => {
    const key = `fail-${Date.now()}`;
    const body = chatBody({ messages: [{ role: "user", content: "fail upstream" }] });
    const first = await post(body, { "idempotency-key": key });
    expect(first.statusCode).toBe(502);
    const publishedBefore = h.published.length;
    const again = await post(body, { "idempotency-key": key });
    expect(again.statusCode).toBe(502);
    expect(again.body).toBe(first.body);
    expect(h.published.length).toBe(publishedBefore);
  });

  it("keeps tenants apart: the same key from another tenant is another job", async () => {
    const key = `shared-${Date.now()}`;
    const a = await post(chatBody(), { "idempotency-key": key });
    const b = await post(chatBody(), { "idempotency-key": key, authorization: `Bearer ${KEY_B}` });
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.headers["x-request-id"]).not.toBe(a.headers["x-request-id"]);
    expect(jobSeen(String(b.headers["x-request-id"]))?.tenant).toBe("tenant-b");
  });

  it("400s an oversized key", async () => {
    const res = await post(chatBody(), { "idempotency-key": "k".repeat(300) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("invalid_idempotency_key");
  });

  it("400s a repeated Idempotency-Key header over real HTTP, which Node would join into one key", async () => {
    const { port } = new URL(await h.listen());
    const before = h.published.length;
    const payload = JSON.stringify(chatBody());
    const head = [
      "POST /v1/chat/completions HTTP/1.1",
      "Host: x",
      "Connection: close",
      "Content-Type: application/json",
      `Content-Length: ${Buffer.byteLength(payload)}`,
      `Authorization: ${AUTH_A.authorization}`,
      // Two headers of one name: an object of headers could not send them.
      "Idempotency-Key: a",
      "Idempotency-Key: b",
    ];
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString("utf8")));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.end(`${head.join("\r\n")}\r\n\r\n${payload}`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"invalid_idempotency_key"');
    expect(h.published.length).toBe(before);
  });
});
