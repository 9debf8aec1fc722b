import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomId } from "@switchyard/contracts";
import { DEV_KEY, startStack, type Stack } from "./support/stack.js";

// The async job API: 202 once stored, polling, cancel, listing, the events stream, tenant
// isolation, and Standard Webhooks deliveries retried with the same webhook-id.
const SECRET = `whsec_${Buffer.from("switchyard-e2e-webhook-secret-32b").toString("base64")}`;
const OTHER_KEY = "sk-other-tenant";
let stack: Stack;

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}
let receiver: Server;
let receiverUrl: string;
const deliveries: Delivery[] = [];
let failuresLeft = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body });
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(500).end("try again");
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  stack = await startStack({
    families: ["openai"],
    ingressEnv: { SWITCHYARD_API_KEYS: `${DEV_KEY}=dev,${OTHER_KEY}=other`, WEBHOOK_ALLOW_PRIVATE: "true" },
    webhooksEnv: {
      SWITCHYARD_WEBHOOK_SECRETS: `dev=${SECRET}`,
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_BACKOFF_BASE_MS: "100",
      WEBHOOK_BACKOFF_MAX_MS: "400",
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const api = (path: string, init: RequestInit = {}, key = DEV_KEY) =>
  fetch(`${stack.ingressUrl}${path}`, {
    ...init,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...init.headers },
  });

interface JobObject {
  id: string;
  object: string;
  type: string;
  status: string;
  progress: number;
  created_at: number;
  queue_position: number | null;
  result: Record<string, unknown> | null;
  error: { code: string | null } | null;
  metadata: Record<string, string> | null;
}

async function waitForStatus(id: string, statuses: string[], timeoutMs = 20_000): Promise<JobObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await api(`/v1/jobs/${id}`)).json()) as JobObject;
    if (statuses.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} stayed ${job.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function verify(delivery: Delivery): boolean {
  const id = delivery.headers["webhook-id"] as string;
  const timestamp = delivery.headers["webhook-timestamp"] as string;
  const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${delivery.body}`).digest("base64");
  return (delivery.headers["webhook-signature"] as string).split(" ").includes(`v1,${expected}`);
}

describe("job API", () => {
  it("answers 202 with the queued job, then completes it with the chat.completion as result", async () => {
    const res = await api("/v1/jobs", {
      method: "POST",
      body: JSON.stringify({
        type: "chat.completion",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Return exactly: async hello" }] },
        metadata: { order: "42" },
      }),
    });
    expect(res.status).toBe(202);
    const job = (await res.json()) as JobObject;
    expect(job).toMatchObject({ object: "job", type: "chat.completion", status: "queued", metadata: { order: "42" } });
    expect(res.headers.get("x-request-id")).toBe(job.id);

    const done = await waitForStatus(job.id, ["completed"]);
    expect(done.progress).toBe(100);
    const completion = done.result as { object: string; choices: Array<{ message: { content: string } }> };
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message.content).toBe("async hello");
  });

  it("cancels a queued job, refuses to cancel it twice, and shows it in the list", async () => {
    // No worker runs the anthropic family in this stack, so the job stays queued.
    const res = await api("/v1/jobs", {
      method: "POST",
      body: JSON.stringify({
        type: "chat.completion",
        body: { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "never runs" }] },
      }),
    });
    const job = (await res.json()) as JobObject;
    const queued = (await (await api(`/v1/jobs/${job.id}`)).json()) as JobObject;
    expect(queued.status).toBe("queued");
    // No consumer exists for the family yet, so the position may be unknown; never negative.
    expect(queued.queue_position === null || queued.queue_position >= 0).toBe(true);

    const cancel = await api(`/v1/jobs/${job.id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    expect(((await cancel.json()) as JobObject).status).toBe("cancelled");
    const again = await api(`/v1/jobs/${job.id}/cancel`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");

    const list = (await (await api("/v1/jobs?limit=100")).json()) as { object: string; data: JobObject[] };
    expect(list.object).toBe("list");
    expect(list.data.map((j) => j.id)).toContain(job.id);
    const rows = await stack.waitForRows<{ status: string }>("select status from jobs where id = $1", [job.id], (r) => r.length === 1);
    expect(rows[0]!.status).toBe("cancelled");
  });

  it("paginates the tenant's jobs with a cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api("/v1/jobs", {
        method: "POST",
        body: JSON.stringify({
          type: "chat.completion",
          body: { model: "gpt-4o-mini", messages: [{ role: "user", content: `Return exactly: page ${i}` }] },
        }),
      });
      ids.push(((await res.json()) as JobObject).id);
    }
    const first = (await (await api("/v1/jobs?limit=2")).json()) as { data: JobObject[]; has_more: boolean; last_id: string };
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    expect(first.data[0]!.id).toBe(ids[2]);
    const second = (await (await api(`/v1/jobs?limit=2&after=${first.last_id}`)).json()) as { data: JobObject[] };
    expect(second.data[0]!.id).toBe(ids[0]);
  });

  it("streams the job's changes as SSE and closes after the final one", async () => {
    const res = await api("/v1/jobs", {
      method: "POST",
      body: JSON.stringify({
        type: "chat.completion",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Return exactly: watched" }] },
      }),
    });
    const job = (await res.json()) as JobObject;
    const events = await api(`/v1/jobs/${job.id}/events`);
    expect(events.headers.get("content-type")).toContain("text/event-stream");
    const text = await events.text(); // ends only when the server closes the stream
    const states = text
      .split("\n\n")
      .filter((e) => e.startsWith("data: "))
      .map((e) => (JSON.parse(e.slice(6)) as JobObject).status);
    expect(states.at(-1)).toBe("completed");

    const ended = await api(`/v1/jobs/${job.id}/events`);
    const again = await ended.text();
    expect(again.split("\n\n").filter((e) => e.startsWith("data: "))).toHaveLength(1);
  });

  it("keeps tenants apart: another tenant's job id is not found", async () => {
    const res = await api("/v1/jobs", {
      method: "POST",
      body: JSON.stringify({
        type: "chat.completion",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Return exactly: mine" }] },
      }),
    });
    const job = (await res.json()) as JobObject;
    expect((await api(`/v1/jobs/${job.id}`, {}, OTHER_KEY)).status).toBe(404);
    expect((await api(`/v1/jobs/${job.id}/cancel`, { method: "POST" }, OTHER_KEY)).status).toBe(404);
    const list = (await (await api("/v1/jobs", {}, OTHER_KEY)).json()) as { data: JobObject[] };
    expect(list.data.map((j) => j.id)).not.toContain(job.id);
  });

  it("refuses webhook URLs that are not http(s)", async () => {
    const res = await api("/v1/jobs", {
      method: "POST",
      body: JSON.stringify({
        type: "chat.completion",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
        webhook: { url: "ftp://example.com/hook" },
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("webhook.url");
  });
});

describe("webhooks", () => {
  it("delivers a signed job.completed event, retrying with the same webhook-id until the receiver accepts", async () => {
    deliveries.length = 0;
    failuresLeft = 2;
    const m = randomId(8);
    const res = await api("/v1/jobs", {
      method: "POST",
      body: JSON.stringify({
        type: "chat.completion",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: `Return exactly: hook ${m}` }] },
        webhook: { url: receiverUrl },
      }),
    });
    const job = (await res.json()) as JobObject;
    const deadline = Date.now() + 20_000;
    while (deliveries.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(deliveries).toHaveLength(3);

    const ids = new Set(deliveries.map((d) => d.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    for (const delivery of deliveries) expect(verify(delivery)).toBe(true);
    const event = JSON.parse(deliveries[2]!.body) as { object: string; type: string; data: JobObject; id: string };
    expect(event).toMatchObject({ object: "event", type: "job.completed" });
    expect(event.id).toBe(deliveries[2]!.headers["webhook-id"]);
    expect(event.data.id).toBe(job.id);
    expect(event.data.status).toBe("completed");

    const rows = await stack.waitForRows<{ outcome: string }>(
      "select outcome from webhook_deliveries where job_id = $1 order by attempt",
      [job.id],
      (r) => r.length === 3,
    );
    expect(rows.map((r) => r.outcome)).toEqual(["failed", "failed", "delivered"]);
  }, 40_000);
});
