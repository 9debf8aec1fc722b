import { once } from "node:events";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngressApp } from "./app.js";
import { waitUntil } from "./test-support/private-nats.js";
import {
  AUTH_A,
  KEY_A,
  chatBody,
  createHarness,
  testCatalog,
  testConfig,
  type Harness,
} from "./test-support/harness.js";

let h: Harness;
const reported: unknown[] = [];
beforeAll(async () => {
  h = await createHarness({ BODY_LIMIT_BYTES: "2048" });
});
afterAll(async () => {
  await h.close();
});

const REQUEST_ID = /^req_[0-9A-Za-z]{24}$/;

describe("auth", () => {
  it("401s a request without a key, in the envelope", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/models" });
    expect(res.statusCode).toBe(401);
    expect(res.headers["x-request-id"]).toMatch(REQUEST_ID);
    expect(res.json()).toEqual({
      error: {
        message: expect.stringContaining("didn't provide an API key"),
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    });
  });

  it("401s a wrong key without echoing it", async () => {
    const res = await h.app.inject({
      method: "GET",
      url: "/v1/models",
      headers: { authorization: "Bearer sk-wrong-key-0123456789" },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    expect(res.body).not.toContain("sk-wrong-key-0123456789");
  });

  it("401s a non-bearer scheme and an empty bearer", async () => {
    for (const authorization of ["Basic abc", "Bearer    ", "Bearer"]) {
      const res = await h.app.inject({ method: "GET", url: "/v1/models", headers: { authorization } });
      expect(res.statusCode).toBe(401);
    }
  });

  it("accepts the scheme in any case", async () => {
    const res = await h.app.inject({
      method: "GET",
      url: "/v1/models",
      headers: { authorization: "bearer sk-test-aaaaaaaaaaaaaaaa" },
    });
    expect(res.statusCode).toBe(200);
  });

  it("does not ask health checks for a key", async () => {
    expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await h.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });
});

describe("errors at the edge", () => {
  it("renders unknown routes as a 404 envelope with a request id", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/nothing?x=1", headers: AUTH_A });
    expect(res.statusCode).toBe(404);
    expect(res.headers["x-request-id"]).toMatch(REQUEST_ID);
    expect(res.json()).toEqual({
      error: {
        message: "Invalid URL (GET /v1/nothing)",
        type: "invalid_request_error",
        param: null,
        code: "not_found",
      },
    });
  });

  it("renders a malformed URL as a 400 envelope with a request id", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/models/%E0%A4%A", headers: AUTH_A });
    expect(res.statusCode).toBe(400);
    expect(res.headers["x-request-id"]).toMatch(REQUEST_ID);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_url" });
  });

  it("renders malformed JSON as 400 invalid_json", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...AUTH_A, "content-type": "application/json" },
      payload: '{"model": "gpt-4o-mini", "messages": [',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["x-request-id"]).toMatch(REQUEST_ID);
    expect(res.json()).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_json" },
    });
  });

  it("renders an empty JSON body as 400", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...AUTH_A, "content-type": "application/json" },
      payload: "",
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("invalid_json");
  });

  it("renders a JSON body that is not an object as 400", async () => {
    const res = await h.app.inject({ method: "POST", url: "/v1/chat/completions", headers: AUTH_A, payload: [1, 2] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ param: null, type: "invalid_request_error" });
  });

  it("renders a non-JSON content type as 415", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...AUTH_A, "content-type": "text/plain" },
      payload: "hello",
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "unsupported_media_type" });
  });

  it("renders a too-large body as 413", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: AUTH_A,
      payload: chatBody({ messages: [{ role: "user", content: "x".repeat(4096) }] }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: "request_too_large" });
  });

  it("turns unexpected errors into a generic 500 and reports them", async () => {
    const app = createIngressApp({
      config: testConfig(h.names),
      bus: h.bus,
      names: h.names,
      catalog: testCatalog(),
      reportError: (error) => reported.push(error),
    });
    app.get("/v1/boom", () => {
      throw new Error("secret internals at /srv/app.js:12");
    });
    const res = await app.inject({ method: "GET", url: "/v1/boom", headers: AUTH_A });
    await app.close();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: {
        message: "The server had an error while processing your request.",
        type: "server_error",
        param: null,
        code: "internal_error",
      },
    });
    expect(res.body).not.toContain("secret");
    expect(reported).toHaveLength(1);
  });
});

describe("closing", () => {
  it("lets in-flight requests finish and refuses new ones with a 503 envelope", async () => {
    const app = createIngressApp({ config: testConfig(h.names), bus: h.bus, names: h.names, catalog: testCatalog() });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const url = `http://127.0.0.1:${port}`;
    const original = h.worker.react;
    h.worker.react = async (job) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { completed: { object: "chat.completion", id: job.id } };
    };
    try {
      const inFlight = fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...AUTH_A, "content-type": "application/json" },
        body: JSON.stringify(chatBody()),
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // A request half-received when closing starts: its connection is not idle, so it is not cut.
      const late = connect(port, "127.0.0.1");
      await once(late, "connect");
      late.write("GET /v1/models HTTP/1.1\r\nHost: x\r\n");
      await new Promise((resolve) => setTimeout(resolve, 20));
      const closed = app.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
      let raw = "";
      late.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      late.write(`Authorization: Bearer ${KEY_A}\r\n\r\n`);
      await waitUntil(() => raw.endsWith("}}"));
      late.destroy();
      expect(raw).toMatch(/^HTTP\/1\.1 503/);
      expect(raw.toLowerCase()).toContain("retry-after: 1");
      expect(raw).toContain('"code":"service_unavailable"');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { object: string }).object).toBe("chat.completion");
      await closed;
    } finally {
      h.worker.react = original;
    }
  });
});
