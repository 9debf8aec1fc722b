import { join } from "node:path";
import { mkdirSync, mkdtempSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import pg from "pg";
import { randomId } from "@switchyard/contracts";
import { startNatsServer } from "@switchyard/devstack";
import { root, startStack, DEV_KEY, type Stack } from "./support/stack.js";

// Faults that must lose nothing: a worker killed mid-job, PostgreSQL unreachable, and the
// NATS server restarted under load. Each case runs its own stack.
const stacks: Stack[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  await Promise.allSettled(stacks.map((s) => s.stop()));
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
});

const prompt = (text: string) => [{ role: "user" as const, content: `Return exactly: ${text}` }];

describe("faults lose nothing", () => {
  it("a worker killed mid-job is replaced and the job completes, recorded once", async () => {
    const stack = await startStack({ workerEnv: { WORKER_ACK_WAIT_MS: "1500" } });
    stacks.push(stack);
    const m = `m${randomId(10)}`;
    // The first upstream call takes long enough for us to kill the worker while it waits.
    await stack.fault({ match: m, latency_ms: 4000, times: 1 });
    const pending = stack.openai.chat.completions.create({ model: "gpt-4o-mini", messages: prompt(`survivor ${m}`) }).withResponse();
    const deadline = Date.now() + 10_000;
    while ((await stack.upstreamRequests(m)) < 1) {
      if (Date.now() > deadline) throw new Error("the upstream never saw the job");
      await new Promise((r) => setTimeout(r, 50));
    }
    stack.workers[0]!.kill();
    await stack.startWorker("openai");

    const { data, response } = await pending;
    expect(data.choices[0]!.message.content).toBe(`survivor ${m}`);
    const jobId = response.headers.get("x-request-id");
    const usage = await stack.waitForRows("select job_id from usage where job_id = $1", [jobId], (r) => r.length === 1);
    expect(usage).toHaveLength(1);
    const started = await stack.db.query<{ n: string }>(
      "select count(*) as n from attempts where job_id = $1 and outcome = 'ok'",
      [jobId],
    );
    expect(Number(started.rows[0]!.n)).toBe(1);
  }, 90_000);

  it("PostgreSQL unreachable: calls still succeed and the ledger catches up exactly once", async () => {
    const stack = await startStack();
    stacks.push(stack);
    const admin = new pg.Pool({ connectionString: process.env.SWITCHYARD_TEST_PG_ADMIN_URL, max: 1 });
    cleanups.push(() => admin.end());
    const dbName = new URL(stack.databaseUrl).pathname.slice(1);
    await stack.db.end();
    await admin.query(`alter database ${dbName} allow_connections false`);
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [dbName]);

    const m = `m${randomId(10)}`;
    const made = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        stack.openai.chat.completions.create({ model: "gpt-4o-mini", messages: prompt(`${i} ${m}`) }).withResponse(),
      ),
    );
    const ids = made.map((r) => r.response.headers.get("x-request-id")!);
    await new Promise((r) => setTimeout(r, 1500));
    await admin.query(`alter database ${dbName} allow_connections true`);

    const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
    cleanups.push(() => db.end());
    const deadline = Date.now() + 30_000;
    let count = 0;
    while (Date.now() < deadline) {
      const { rows } = await db.query<{ n: string }>("select count(*) as n from usage where job_id = any($1)", [ids]);
      count = Number(rows[0]!.n);
      if (count === ids.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(count).toBe(ids.length);
    const { rows } = await db.query<{ n: string }>("select count(*) as n from jobs where id = any($1)", [ids]);
    expect(Number(rows[0]!.n)).toBe(ids.length);
  }, 90_000);

  it("NATS restarted under load: every accepted job completes and is recorded once", async () => {
    mkdirSync(join(root, ".data"), { recursive: true });
    const dataDir = mkdtempSync(join(root, ".data", "nats-restart-"));
    const nats = await startNatsServer({ dataDir });
    cleanups.push(() => nats.stop());
    const stack = await startStack({ natsUrl: nats.url, workerEnv: { WORKER_ACK_WAIT_MS: "3000" } });
    stacks.push(stack);
    // The client retries what a real client would: 503 while NATS is away, connection errors.
    const client = new OpenAI({ baseURL: `${stack.ingressUrl}/v1`, apiKey: DEV_KEY, maxRetries: 8, timeout: 20_000 });
    const m = `m${randomId(10)}`;
    const n = 20;
    const calls = Array.from({ length: n }, (_, i) =>
      client.chat.completions
        .create({ model: "gpt-4o-mini", messages: prompt(`${i} ${m}`) }, { headers: { "Idempotency-Key": `${m}-${i}` } })
        .withResponse(),
    );
    await new Promise((r) => setTimeout(r, 100));
    await nats.restart();

    const results = await Promise.all(calls);
    results.forEach((r, i) => expect(r.data.choices[0]!.message.content).toBe(`${i} ${m}`));
    const ids = [...new Set(results.map((r) => r.response.headers.get("x-request-id")!))];
    expect(ids).toHaveLength(n);
    await stack.waitForRows("select job_id from usage where job_id = any($1)", [ids], (r) => r.length === n, 30_000);
    const { rows } = await stack.db.query<{ n: string }>("select count(*) as n from usage where job_id = any($1)", [ids]);
    expect(Number(rows[0]!.n)).toBe(n);
  }, 120_000);
});
