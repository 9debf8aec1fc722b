import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomId } from "@switchyard/contracts";
import { startStack, type Stack } from "./support/stack.js";

// What the ledger records for the calls made through the public API: one job row, its
// attempts and exactly one usage row per job, priced from the catalog, and the analyst API.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

interface UsageRow {
  job_id: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: string | number;
}

describe("ledger", () => {
  it("records every call exactly once, and GET /v1/usage sums them by model and day", async () => {
    const calls = [
      ["gpt-4o-mini", "alpha"],
      ["gpt-4o-mini", "beta gamma delta"],
      ["gpt-4o-mini", "epsilon"],
      ["gpt-4o", "zeta eta theta iota"],
    ] as const;
    const made = await Promise.all(
      calls.map(async ([model, text]) => {
        const { data, response } = await stack.openai.chat.completions
          .create({ model, messages: [{ role: "user", content: `Return exactly: ${text} ${randomId(6)}` }] })
          .withResponse();
        return { model, jobId: response.headers.get("x-request-id")!, usage: data.usage! };
      }),
    );
    const ids = made.map((m) => m.jobId);

    const usage = await stack.waitForRows<UsageRow>(
      "select job_id, model, prompt_tokens, completion_tokens, total_tokens, cost_usd from usage where job_id = any($1)",
      [ids],
      (rows) => rows.length === ids.length,
    );
    for (const call of made) {
      const row = usage.find((r) => r.job_id === call.jobId)!;
      expect(row.model).toBe(call.model);
      expect(Number(row.prompt_tokens)).toBe(call.usage.prompt_tokens);
      expect(Number(row.completion_tokens)).toBe(call.usage.completion_tokens);
      expect(Number(row.total_tokens)).toBe(call.usage.total_tokens);
      // Prices from config/catalog.yaml (USD per million tokens) of the route that answered.
      const [input, output] = call.model === "gpt-4o-mini" ? [0.15, 0.6] : [2.5, 10];
      const expected = (call.usage.prompt_tokens * input + call.usage.completion_tokens * output) / 1e6;
      expect(Number(row.cost_usd)).toBeCloseTo(expected, 8);
    }

    const jobs = await stack.waitForRows<{ id: string; status: string; attempts: number; trace_id: string | null }>(
      "select id, status, attempts, trace_id from jobs where id = any($1)",
      [ids],
      (rows) => rows.length === ids.length && rows.every((r) => r.status === "completed"),
    );
    expect(jobs.every((j) => Number(j.attempts) === 1)).toBe(true);
    const attempts = await stack.db.query("select job_id from attempts where job_id = any($1)", [ids]);
    expect(attempts.rowCount).toBe(ids.length);

    const today = new Date().toISOString().slice(0, 10);
    const res = await fetch(`${stack.ledgerUrl}/v1/usage?from=${today}&to=${today}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: Array<Record<string, number | string>> };
    expect(body.object).toBe("list");
    for (const model of ["gpt-4o-mini", "gpt-4o"]) {
      const mine = made.filter((m) => m.model === model);
      const entry = body.data.find((d) => d.model === model && d.day === today)!;
      expect(entry.requests).toBe(mine.length);
      expect(entry.prompt_tokens).toBe(mine.reduce((s, m) => s + m.usage.prompt_tokens, 0));
      expect(entry.completion_tokens).toBe(mine.reduce((s, m) => s + m.usage.completion_tokens, 0));
      expect(entry.total_tokens).toBe(mine.reduce((s, m) => s + m.usage.total_tokens, 0));
      const cost = usage.filter((u) => u.model === model).reduce((s, u) => s + Number(u.cost_usd), 0);
      expect(Number(entry.cost_usd)).toBeCloseTo(cost, 8);
    }
  });

  it("an Idempotency-Key never makes a second job", async () => {
    const key = `idem-${randomId(10)}`;
    const m = `m${randomId(10)}`;
    const ask = () =>
      stack.openai.chat.completions
        .create(
          { model: "gpt-4o-mini", messages: [{ role: "user", content: `Return exactly: once ${m}` }] },
          { headers: { "Idempotency-Key": key } },
        )
        .withResponse();
    const [first, second] = await Promise.all([ask(), ask()]);
    const third = await ask();
    const jobId = first.response.headers.get("x-request-id");
    expect(second.response.headers.get("x-request-id")).toBe(jobId);
    expect(third.response.headers.get("x-request-id")).toBe(jobId);
    expect(second.data).toEqual(first.data);
    expect(third.data).toEqual(first.data);
    expect(await stack.upstreamRequests(m)).toBe(1);
    const rows = await stack.waitForRows("select job_id from usage where job_id = $1", [jobId], (r) => r.length === 1);
    expect(rows).toHaveLength(1);
  });

  it("rejects a malformed usage query with a 400 envelope", async () => {
    const res = await fetch(`${stack.ledgerUrl}/v1/usage?from=yesterday`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; param: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.param).toBe("from");
  });
});
