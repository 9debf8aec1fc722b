import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "../app.js";

let app: FastifyInstance;
beforeEach(() => {
  app = createSimApp();
});
afterEach(async () => {
  await app.close();
});

const addFault = (payload: object) => app.inject({ method: "POST", url: "/_sim/faults", payload });
const chat = (text: string) =>
  app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    payload: { model: "m", messages: [{ role: "user", content: text }] },
  });

describe("fault API", () => {
  it("creates, lists and deletes rules", async () => {
    const created = await addFault({ match: "tok-1", status: 503, retry_after: 2 });
    expect(created.statusCode).toBe(201);
    const rule = created.json();
    expect(rule).toEqual({
      id: expect.any(String),
      match: "tok-1",
      status: 503,
      retry_after: 2,
      times: 1,
      remaining: 1,
      fired: 0,
    });

    await addFault({ sticky: true, latency_ms: 5 });
    const listed = await app.inject({ method: "GET", url: "/_sim/faults" });
    expect(listed.json().faults.map((f: { id: string }) => f.id)).toEqual([rule.id, expect.any(String)]);
    expect(listed.json().faults[1]).toMatchObject({ times: -1, remaining: -1 });

    const deleted = await app.inject({ method: "DELETE", url: `/_sim/faults/${rule.id}` });
    expect(deleted.json()).toEqual({ deleted: 1 });
    const missing = await app.inject({ method: "DELETE", url: `/_sim/faults/${rule.id}` });
    expect(missing.statusCode).toBe(404);

    const cleared = await app.inject({ method: "DELETE", url: "/_sim/faults" });
    expect(cleared.json()).toEqual({ deleted: 1 });
    expect((await app.inject({ method: "GET", url: "/_sim/faults" })).json()).toEqual({ faults: [] });
  });

  it("rejects unknown keys and bad values with 400", async () => {
    const typo = await addFault({ statuss: 500 });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error.message).toMatch(/statuss/);
    expect((await addFault({ status: 600 })).statusCode).toBe(400);
    expect((await addFault({ times: 0 })).statusCode).toBe(400);
    const badJson = await app.inject({
      method: "POST",
      url: "/_sim/faults",
      headers: { "content-type": "application/json" },
      payload: "{",
    });
    expect(badJson.statusCode).toBe(400);
  });

  it("shows a rule's firings until it is used up", async () => {
    await addFault({ match: "tok-2", status: 500, times: 2 });
    await chat("tok-2 a");
    expect((await app.inject({ method: "GET", url: "/_sim/faults" })).json().faults[0]).toMatchObject({
      remaining: 1,
      fired: 1,
    });
    await chat("tok-2 b");
    expect((await app.inject({ method: "GET", url: "/_sim/faults" })).json().faults).toEqual([]);
  });
});

describe("stats", () => {
  it("counts requests in total and for every registered match", async () => {
    await addFault({ match: "tok-a", status: 429 });
    await chat("first tok-a");
    await chat("second tok-a");
    await chat("other tok-b");
    const stats = await app.inject({ method: "GET", url: "/_sim/stats" });
    expect(stats.json()).toEqual({
      requests: 3,
      by_dialect: { openai: 3, anthropic: 0, gemini: 0 },
      by_match: { "tok-a": 2 },
      streams_aborted: 0,
      video_tasks_created: 0,
      video_tasks_by_match: { "tok-a": 0 },
    });
  });

  it("counts requests containing any substring", async () => {
    await chat("retry tok-r");
    await chat("retry tok-r");
    await chat("tok-s");
    const count = (match: string) =>
      app.inject({ method: "GET", url: `/_sim/requests?match=${encodeURIComponent(match)}` });
    expect((await count("tok-r")).json()).toEqual({ match: "tok-r", count: 2, aborted: 0 });
    expect((await count("tok-s")).json()).toEqual({ match: "tok-s", count: 1, aborted: 0 });
    expect((await count("tok-none")).json()).toEqual({ match: "tok-none", count: 0, aborted: 0 });
    expect((await app.inject({ method: "GET", url: "/_sim/requests" })).json()).toEqual({
      match: "",
      count: 3,
      aborted: 0,
    });
  });

  it("counts requests that were answered with a fault, and resets", async () => {
    await addFault({ match: "tok-f", status: 500 });
    expect((await chat("tok-f")).statusCode).toBe(500);
    expect((await chat("tok-f")).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/_sim/requests?match=tok-f" })).json().count).toBe(2);
    const reset = await app.inject({ method: "DELETE", url: "/_sim/stats" });
    expect(reset.json()).toMatchObject({ requests: 0, by_match: {} });
  });

  it("does not count control or model-list requests", async () => {
    await app.inject({ method: "GET", url: "/v1/models" });
    await app.inject({ method: "GET", url: "/_sim/faults" });
    expect((await app.inject({ method: "GET", url: "/_sim/stats" })).json().requests).toBe(0);
  });

  it("answers a health check", async () => {
    expect((await app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
  });
});
