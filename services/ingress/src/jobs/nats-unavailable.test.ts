import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus, ensureStreams, type BusConnection } from "@switchyard/bus";
import { createIngressApp } from "../app.js";
import { AUTH_A, NATS_URL, chatBody, testCatalog, testConfig, testNames } from "../test-support/harness.js";
import { startPrivateNats, waitUntil, type PrivateNats } from "../test-support/private-nats.js";

describe("NATS unavailable", () => {
  let nats: PrivateNats;
  let bus: BusConnection;

  beforeAll(async () => {
    nats = await startPrivateNats();
    bus = await connectBus({ servers: nats.url, name: "ingress-test-outage" });
  });
  afterAll(async () => {
    await bus.nc.close();
    await nats.dispose();
  });

  it("answers 503 with Retry-After once the server is gone, and readyz says why", async () => {
    const names = testNames();
    await ensureStreams(bus.jsm, names);
    const app = createIngressApp({ config: testConfig(names), bus, names, catalog: testCatalog() });
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);

    await nats.kill();
    await waitUntil(() => !bus.isConnected());

    const started = Date.now();
    const res = await app.inject({ method: "POST", url: "/v1/chat/completions", headers: AUTH_A, payload: chatBody() });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.headers["x-request-id"]).toMatch(/^job_/);
    expect(res.json()).toEqual({
      error: { message: expect.any(String), type: "server_error", param: null, code: "service_unavailable" },
    });

    const keyed = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...AUTH_A, "idempotency-key": "k1" },
      payload: chatBody(),
    });
    expect(keyed.statusCode).toBe(503);
    expect(keyed.headers["retry-after"]).toBe("1");
    // At once: nothing waits for a NATS timeout while the client is known to be disconnected.
    expect(Date.now() - started).toBeLessThan(500);
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: "unavailable", reasons: ["NATS is not connected"] });

    // Requests that need no NATS still work.
    expect((await app.inject({ method: "GET", url: "/v1/models", headers: AUTH_A })).statusCode).toBe(200);
    await app.close();
  });
});

describe("no stream takes the job", () => {
  it("answers 503 when the publish finds no JetStream stream", async () => {
    const bus = await connectBus({ servers: NATS_URL, name: "ingress-test-nostream", publishTimeoutMs: 1000 });
    const names = testNames(); // streams never created
    const app = createIngressApp({ config: testConfig(names), bus, names, catalog: testCatalog() });
    try {
      const res = await app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: AUTH_A,
        payload: chatBody(),
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.json().error.code).toBe("service_unavailable");
      expect(res.body).not.toMatch(/jetstream|nats/i);
    } finally {
      await app.close();
      await bus.close();
    }
  });
});
