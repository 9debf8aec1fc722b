import { afterAll, beforeAll, expect, it } from "vitest";
import { DEV_KEY, startStack, type Stack } from "./support/stack.js";
import { startOtlpReceiver, type ReceivedSpan } from "./support/otlp-receiver.js";

// One request, one trace: the spans the three services export over OTLP/HTTP share one trace
// id, link parent to child across every NATS hop, and that id is the ledger row's trace_id.
let stack: Stack;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({ otlpEndpoint: receiver.url });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

it("links ingress, publish, worker, upstream call, completion event and ledger write in one trace", async () => {
  const { response } = await stack.openai.chat.completions
    .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Return exactly: traced" }] })
    .withResponse();
  const jobId = response.headers.get("x-request-id")!;

  const [row] = await stack.waitForRows<{ trace_id: string }>(
    "select trace_id from usage where job_id = $1",
    [jobId],
    (rows) => rows.length === 1,
  );
  const traceId = row!.trace_id;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  const deadline = Date.now() + 15_000;
  let trace: ReceivedSpan[] = [];
  const complete = (spans: ReceivedSpan[]): boolean =>
    spans.some((s) => s.service === "ingress" && s.kind === SERVER) &&
    spans.some((s) => s.service === "ingress" && s.kind === PRODUCER) &&
    spans.some((s) => s.service === "provider-worker" && s.kind === CONSUMER) &&
    spans.some((s) => s.service === "provider-worker" && s.kind === CLIENT) &&
    spans.some((s) => s.service === "provider-worker" && s.kind === PRODUCER && s.name.includes("events")) &&
    spans.some((s) => s.service === "ledger" && s.name.startsWith("ledger record"));
  while (Date.now() < deadline) {
    trace = receiver.spans.filter((s) => s.traceId === traceId);
    if (complete(trace)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const summary = trace.map((s) => `${s.service}:${s.kind}:${s.name}`).join("\n");
  expect(complete(trace), summary).toBe(true);

  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const server = trace.find((s) => s.service === "ingress" && s.kind === SERVER)!;
  expect(server.parentSpanId).toBe("");
  const jobPublish = trace.find((s) => s.service === "ingress" && s.kind === PRODUCER)!;
  const consume = trace.find((s) => s.service === "provider-worker" && s.kind === CONSUMER)!;
  const upstream = trace.find((s) => s.service === "provider-worker" && s.kind === CLIENT)!;
  const ledger = trace.filter((s) => s.service === "ledger" && s.name.startsWith("ledger record"));

  // Parent links across processes: the worker's consume span is a child of the ingress's
  // publish, the upstream call happens inside the consume span, and the ledger's record
  // spans are children of the worker's event publishes.
  expect(consume.parentSpanId).toBe(jobPublish.spanId);
  const ancestors = (span: ReceivedSpan): string[] => {
    const chain: string[] = [];
    for (let s: ReceivedSpan | undefined = span; s; s = byId.get(s.parentSpanId)) chain.push(s.spanId);
    return chain;
  };
  expect(ancestors(upstream)).toContain(consume.spanId);
  expect(ancestors(jobPublish)).toContain(server.spanId);
  expect(String(upstream.attributes["url.full"] ?? upstream.attributes["http.url"])).toContain(stack.simUrl);
  for (const record of ledger) {
    const parent = byId.get(record.parentSpanId);
    expect(parent?.service).toBe("provider-worker");
    expect(parent?.kind).toBe(PRODUCER);
  }
}, 60_000);

it("records a job cancelled before it ran under its own trace, not the cancel request's", async () => {
  // This stack runs no video worker: the job stays queued until it is cancelled.
  const headers = { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" };
  const submitted = await fetch(`${stack.ingressUrl}/v1/jobs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ type: "video.generation", body: { model: "sora-2", prompt: "a queued fox" } }),
  });
  expect(submitted.status).toBe(202);
  const jobId = submitted.headers.get("x-request-id")!;
  const cancel = await fetch(`${stack.ingressUrl}/v1/jobs/${jobId}/cancel`, { method: "POST", headers });
  expect(cancel.status).toBe(200);

  const [row] = await stack.waitForRows<{ trace_id: string; status: string }>(
    "select trace_id, status from jobs where id = $1",
    [jobId],
    (rows) => rows.length === 1,
  );
  expect(row!.status).toBe("cancelled");
  // Only the submission's server span names the job (the cancel request's is another trace).
  let submit: ReceivedSpan | undefined;
  for (const deadline = Date.now() + 15_000; !submit && Date.now() < deadline;) {
    submit = receiver.spans.find(
      (s) => s.service === "ingress" && s.kind === SERVER && s.attributes["switchyard.job_id"] === jobId,
    );
    if (!submit) await new Promise((r) => setTimeout(r, 200));
  }
  expect(submit, "the submission's server span").toBeDefined();
  expect(row!.trace_id).toBe(submit!.traceId);
}, 60_000);
