import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import type { JobEvent } from "@switchyard/contracts";
import { createDb } from "@switchyard/db";
import { fold } from "../fold.js";
import { persistBatch } from "../persist.js";
import { T0, cancelled, completed, failed } from "../test-support/events.js";
import { catalog, testDatabase } from "../test-support/infra.js";
import { createLedgerApp } from "./app.js";

const DAY = 86_400_000;
let fixture: Awaited<ReturnType<typeof testDatabase>>;
let app: FastifyInstance;

// Day 1 (2026-11-26): two gpt-4o-mini jobs of acme, one gpt-4o job of globex, one failure.
// Day 2 (2026-11-27): one gpt-4o-mini job of acme. Each completed gpt-4o-mini job costs 0.000024.
// Day 3 (2026-11-28): media of initech: an 8 s sora-2 video, two gpt-image-1 images and a cancelled video.
const DAY3 = T0 + 2 * 86_400_000;
const events: JobEvent[] = [
  completed({ jobId: "job_u1" }),
  completed({ jobId: "job_u2" }, { at: T0 + 13 * 3600_000 + 59 * 60_000 }), // 23:59 UTC, still day 1
  completed({ jobId: "job_u3", model: "gpt-4o", tenant: "globex" }, { route: "sim-gpt-4o" }),
  failed({ jobId: "job_u4", tenant: "globex" }),
  completed({ jobId: "job_u5", createdAt: T0 + DAY }, { at: T0 + DAY + 600 }),
  completed(
    { jobId: "video_u6", tenant: "initech", kind: "video", model: "sora-2", createdAt: DAY3 },
    { at: DAY3 + 600, route: "sim-sora-2", usage: null, units: { images: 0, videoSeconds: 8 } },
  ),
  completed(
    { jobId: "job_u7", tenant: "initech", kind: "image", model: "gpt-image-1", createdAt: DAY3 },
    { at: DAY3 + 600, route: "sim-gpt-image-1", usage: null, units: { images: 2, videoSeconds: 0 } },
  ),
  cancelled(
    { jobId: "video_u8", tenant: "initech", kind: "video", model: "sora-2", createdAt: DAY3 },
    { at: DAY3 + 700, route: "sim-sora-2", usage: null, units: null },
  ),
];

beforeAll(async () => {
  fixture = await testDatabase();
  await persistBatch(
    fixture.db,
    fold(
      events.map((event) => ({ event, traceId: null })),
      catalog,
    ),
  );
  app = createLedgerApp({
    db: fixture.db,
    config: { apiKey: undefined, logLevel: "silent" },
    bus: { isConnected: () => true },
  });
});
afterAll(async () => {
  await app?.close();
  await fixture?.cleanup();
});

const get = async (url: string) => {
  const res = await app.inject({ method: "GET", url });
  return {
    status: res.statusCode,
    body: res.json() as { object: string; data: Array<Record<string, unknown>>; error?: Record<string, unknown> },
  };
};

describe("GET /v1/usage", () => {
  it("sums by model and day by default, sorted by day then model, numbers as JSON numbers", async () => {
    const { status, body } = await get("/v1/usage?from=2026-11-26&to=2026-11-27");
    expect(status).toBe(200);
    expect(body.object).toBe("list");
    expect(body.data).toEqual([
      {
        day: "2026-11-26",
        model: "gpt-4o",
        requests: 1,
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        cached_tokens: 40,
        reasoning_tokens: 5,
        images: 0,
        video_seconds: 0,
        cost_usd: 0.00045, // (100 * 2.5 + 20 * 10) / 1e6: sim-gpt-4o has no cached price
      },
      {
        day: "2026-11-26",
        model: "gpt-4o-mini",
        requests: 3, // two completed, one failed with zero usage
        prompt_tokens: 200,
        completion_tokens: 40,
        total_tokens: 240,
        cached_tokens: 80,
        reasoning_tokens: 10,
        images: 0,
        video_seconds: 0,
        cost_usd: 0.000048,
      },
      {
        day: "2026-11-27",
        model: "gpt-4o-mini",
        requests: 1,
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        cached_tokens: 40,
        reasoning_tokens: 5,
        images: 0,
        video_seconds: 0,
        cost_usd: 0.000024,
      },
    ]);
  });

  it("sums images and video seconds, priced per image and per second, with cancelled jobs counted", async () => {
    const { status, body } = await get("/v1/usage?from=2026-11-28&to=2026-11-28");
    expect(status).toBe(200);
    expect(body.data).toEqual([
      {
        day: "2026-11-28",
        model: "gpt-image-1",
        requests: 1,
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        cached_tokens: 0,
        reasoning_tokens: 0,
        images: 2,
        video_seconds: 0,
        cost_usd: 0.08,
      },
      {
        day: "2026-11-28",
        model: "sora-2",
        requests: 2,
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        cached_tokens: 0,
        reasoning_tokens: 0,
        images: 0,
        video_seconds: 8,
        cost_usd: 0.8,
      },
    ]);
    const daily = await fixture.db
      .selectFrom("usage_daily")
      .selectAll()
      .where("tenant", "=", "initech")
      .orderBy("model")
      .execute();
    expect(
      daily.map((d) => [d.model, d.requests, d.cancelled_requests, d.images, d.video_seconds, d.cost_usd]),
    ).toEqual([
      ["gpt-image-1", 1, 0, 2, 0, 0.08],
      ["sora-2", 2, 1, 0, 8, 0.8],
    ]);
  });

  it("treats both ends of the range as whole UTC days", async () => {
    const { body } = await get("/v1/usage?from=2026-11-27&to=2026-11-27");
    expect(body.data.map((d) => [d.day, d.model, d.requests])).toEqual([["2026-11-27", "gpt-4o-mini", 1]]);
    const before = await get("/v1/usage?to=2026-11-25");
    expect(before.body.data).toEqual([]);
  });

  it("groups by tenant, and filters by tenant and model", async () => {
    const byTenant = await get("/v1/usage?group_by=tenant");
    expect(byTenant.body.data.map((d) => [d.tenant, d.requests, d.cost_usd])).toEqual([
      ["acme", 3, 0.000072],
      ["globex", 2, 0.00045],
      ["initech", 3, 0.88],
    ]);
    const filtered = await get("/v1/usage?tenant=globex&model=gpt-4o-mini&group_by=model,tenant,day");
    expect(filtered.body.data).toEqual([
      expect.objectContaining({ day: "2026-11-26", model: "gpt-4o-mini", tenant: "globex", requests: 1, cost_usd: 0 }),
    ]);
    const byRoute = await get("/v1/usage?group_by=route");
    expect(byRoute.body.data.map((d) => [d.route, d.requests])).toEqual([
      [null, 1],
      ["sim-gpt-4o", 1],
      ["sim-gpt-4o-mini", 3],
      ["sim-gpt-image-1", 1],
      ["sim-sora-2", 2],
    ]);
  });

  it.each([
    ["from=yesterday", "from"],
    ["from=2026-02-30", "from"],
    ["to=2026-13-01", "to"],
    ["from=2026-11-27&to=2026-11-26", "to"],
    ["group_by=model,week", "group_by"],
    ["group_by=", "group_by"],
    ["tenant=a&tenant=b", "tenant"],
    ["tenant=acme%00", "tenant"],
    ["model=gpt-4o%00mini", "model"],
    ["frm=2026-11-26", "frm"],
  ])("answers 400 in the OpenAI envelope for %s", async (query, param) => {
    const { status, body } = await get(`/v1/usage?${query}`);
    expect(status).toBe(400);
    expect(body.error).toEqual({
      message: expect.any(String),
      type: "invalid_request_error",
      param,
      code: "invalid_request",
    });
  });
});

describe("health, readiness and auth", () => {
  it("answers /healthz, and /readyz only while the database answers and NATS is connected", async () => {
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(200);
    const offline = createLedgerApp({
      db: fixture.db,
      config: { apiKey: undefined, logLevel: "silent" },
      bus: { isConnected: () => false },
    });
    const res = await offline.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { type: "server_error", code: "service_unavailable" } });
    await offline.close();
  });

  it("names every answer in x-request-id, and answers a malformed URL in the envelope", async () => {
    for (const url of ["/healthz", "/v1/usage?group_by=week", "/v1/nothing", "/v1/usage/%ZZ"]) {
      const res = await app.inject({ url });
      expect(res.headers["x-request-id"], url).toMatch(/^req_[A-Za-z0-9]+$/);
    }
    const bad = await app.inject({ url: "/v1/usage/%ZZ" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_request" },
    });
  });

  it("answers 503 with Retry-After, not 500, while PostgreSQL cannot be reached", async () => {
    // Nothing listens on port 1: every query fails to connect, as during an outage.
    const unreachable = createDb({ url: "postgres://postgres@127.0.0.1:1/ledger" });
    const outage = createLedgerApp({
      db: unreachable,
      config: { apiKey: undefined, logLevel: "silent" },
      bus: { isConnected: () => true },
    });
    const res = await outage.inject({ url: "/v1/usage" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.json()).toEqual({
      error: { message: expect.any(String), type: "server_error", param: null, code: "service_unavailable" },
    });
    await outage.close();
    await unreachable.destroy();
  });

  it("asks for the API key when one is configured", async () => {
    const secured = createLedgerApp({
      db: fixture.db,
      config: { apiKey: "sk-ledger", logLevel: "silent" },
      bus: { isConnected: () => true },
    });
    const none = await secured.inject({ url: "/v1/usage" });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" },
    });
    expect((await secured.inject({ url: "/v1/usage", headers: { authorization: "Bearer wrong" } })).statusCode).toBe(
      401,
    );
    expect(
      (await secured.inject({ url: "/v1/usage", headers: { authorization: "Bearer sk-ledger" } })).statusCode,
    ).toBe(200);
    expect((await secured.inject({ url: "/healthz" })).statusCode).toBe(200);
    await secured.close();
  });

  it("answers unknown routes with a 404 envelope", async () => {
    const res = await app.inject({ url: "/v1/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { type: "invalid_request_error", code: "not_found" } });
  });
});
