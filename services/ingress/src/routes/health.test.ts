import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngressApp } from "../app.js";
import { createHarness, testCatalog, testConfig, testNames, type Harness } from "../test-support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe("health", () => {
  it("/healthz is 200 ok", async () => {
    const res = await h.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
    expect(res.headers["x-request-id"]).toMatch(/^req_/);
  });

  it("/readyz is 200 when NATS is connected and both streams exist", async () => {
    const res = await h.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("/readyz is 503 with reasons when the streams are missing", async () => {
    const names = testNames();
    const app = createIngressApp({ config: testConfig(names), bus: h.bus, names, catalog: testCatalog() });
    const res = await app.inject({ method: "GET", url: "/readyz" });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: "unavailable", reasons: [expect.stringContaining(names.jobsStream)] });
  });
});
