import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectBus,
  deleteNamespaceStreams,
  encodeJson,
  ensureStreams,
  ensureWorkerConsumer,
  type BusConnection,
} from "@switchyard/bus";
import { createIngressApp } from "../app.js";
import {
  AUTH_A,
  NATS_URL,
  chatBody,
  createHarness,
  testCatalog,
  testConfig,
  testNames,
  type Harness,
} from "../test-support/harness.js";
import { startPrivateNats, waitUntil } from "../test-support/private-nats.js";

type Inject = Harness["app"]["inject"];

/** The value of one series in Prometheus's text format, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(inject: Inject): Promise<string> {
  const res = await inject({ method: "GET", url: "/metrics" });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

describe("GET /metrics", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("counts requests by route template, method, status and catalog model, without an API key", async () => {
    const inject = h.app.inject.bind(h.app);
    const chat = '{route="/v1/chat/completions",method="POST"';
    const before = await scrape(inject);
    const ok = sample(before, `switchyard_http_requests_total${chat},status_code="200",model="gpt-4o-mini"}`) ?? 0;

    expect(
      (await inject({ method: "POST", url: "/v1/chat/completions", headers: AUTH_A, payload: chatBody() })).statusCode,
    ).toBe(200);
    const unknownModel = await inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: AUTH_A,
      payload: chatBody({ model: "made-up-model-1234" }),
    });
    expect(unknownModel.statusCode).toBe(404);
    expect((await inject({ method: "POST", url: "/v1/chat/completions", payload: chatBody() })).statusCode).toBe(401);
    expect((await inject({ method: "GET", url: "/no/such/path/9f8e7d", headers: AUTH_A })).statusCode).toBe(404);

    const text = await scrape(inject);
    expect(sample(text, `switchyard_http_requests_total${chat},status_code="200",model="gpt-4o-mini"}`)).toBe(ok + 1);
    // A model the catalog does not know is not a label value: clients cannot grow the series.
    expect(sample(text, `switchyard_http_requests_total${chat},status_code="404",model=""}`)).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("made-up-model-1234");
    // Refused before its body is read: no model.
    expect(sample(text, `switchyard_http_requests_total${chat},status_code="401",model=""}`)).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, `switchyard_http_requests_total{route="unmatched",method="GET",status_code="404",model=""}`),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("9f8e7d");
    expect(sample(text, `switchyard_http_request_duration_seconds_count${chat}}`)).toBeGreaterThanOrEqual(3);
    // The scrape in flight is the only request unanswered.
    expect(sample(text, "switchyard_http_requests_in_flight")).toBe(1);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_p99_seconds");
  });

  it("reports NATS, the streams and every consumer's backlog", async () => {
    const text = await scrape(h.app.inject.bind(h.app));
    expect(sample(text, "switchyard_nats_connected")).toBe(1);
    expect(sample(text, `switchyard_stream_messages{stream="${h.names.jobsStream}"}`)).toEqual(expect.any(Number));
    const worker = `{stream="${h.names.jobsStream}",consumer="${h.names.familyConsumer("openai")}"}`;
    expect(sample(text, `switchyard_consumer_pending_messages${worker}`)).toBe(0);
    expect(sample(text, `switchyard_consumer_ack_pending_messages${worker}`)).toBe(0);
  });

  it("shows jobs waiting for a family with no worker running as its pending messages", async () => {
    const bus = await connectBus({ servers: NATS_URL, name: "ingress-test-metrics" });
    const names = testNames();
    const app = createIngressApp({ config: testConfig(names), bus, names, catalog: testCatalog() });
    try {
      await ensureStreams(bus.jsm, names);
      const consumer = await ensureWorkerConsumer(bus.jsm, names, "gemini");
      for (let i = 0; i < 3; i++) await bus.js.publish(`${names.namespace}.jobs.gemini.chat`, encodeJson({ i }));
      const text = await scrape(app.inject.bind(app));
      expect(
        sample(text, `switchyard_consumer_pending_messages{stream="${names.jobsStream}",consumer="${consumer}"}`),
      ).toBe(3);
      expect(sample(text, `switchyard_stream_messages{stream="${names.jobsStream}"}`)).toBe(3);

      // A consumer that is deleted leaves no stale series behind.
      await bus.jsm.consumers.delete(names.jobsStream, consumer);
      expect(await scrape(app.inject.bind(app))).not.toContain(`consumer="${consumer}"`);
    } finally {
      await app.close();
      await deleteNamespaceStreams(bus.jsm, names);
      await bus.close();
    }
  });

  it("still answers, at once, while NATS is down", async () => {
    const nats = await startPrivateNats();
    let bus: BusConnection | undefined;
    try {
      bus = await connectBus({ servers: nats.url, name: "ingress-test-metrics-outage" });
      const names = testNames();
      await ensureStreams(bus.jsm, names);
      const app = createIngressApp({ config: testConfig(names), bus, names, catalog: testCatalog() });
      expect(await scrape(app.inject.bind(app))).toContain(
        `switchyard_stream_messages{stream="${names.jobsStream}"} 0`,
      );

      await nats.kill();
      await waitUntil(() => !bus!.isConnected());
      const started = Date.now();
      const text = await scrape(app.inject.bind(app));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(sample(text, "switchyard_nats_connected")).toBe(0);
      expect(text).not.toContain("switchyard_stream_messages{");
      await app.close();
    } finally {
      await bus?.nc.close();
      await nats.dispose();
    }
  });
});
