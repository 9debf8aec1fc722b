import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobSubmitted } from "@switchyard/contracts";
import { AUTH_A, chatBody, chatCompletion, createHarness, textDeltas, type Harness } from "../test-support/harness.js";

// JetStream drops a second publish of a job id only inside its duplicate window; here it is
// 300 ms, so a retry can come after it while the first request's job still runs.
const WINDOW_MS = 300;

let h: Harness;
/** Jobs held by the fake worker until the test lets them finish. */
const held = new Map<string, () => void>();

beforeAll(async () => {
  h = await createHarness({}, {}, { duplicateWindowMs: WINDOW_MS });
  h.worker.ackAfterAnswer = true;
  h.worker.react = async (job: JobSubmitted) => {
    await new Promise<void>((resolve) => held.set(job.id, resolve));
    const answer = `answer ${job.id}`;
    return job.request["stream"] === true
      ? { stream: { deltas: textDeltas([answer]) } }
      : { completed: chatCompletion(job.model, answer) };
  };
});
afterAll(async () => {
  for (const release of held.values()) release();
  await h.close();
});

function post(body: Record<string, unknown>, key: string) {
  return h.app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    headers: { ...AUTH_A, "idempotency-key": key },
    payload: body,
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > 5_000) throw new Error("timed out");
    await sleep(20);
  }
}

/** The id of the job published for `key`, once the fake worker holds it. */
async function heldJob(key: string): Promise<string> {
  const seen = (): JobSubmitted | undefined => h.worker.jobs.find((job) => job.idempotencyKey === key);
  await until(() => held.has(seen()?.id ?? ""));
  return seen()!.id;
}

describe("a keyed retry after JetStream's duplicate window, while the first job still runs", () => {
  it.each([false, true])("joins that job instead of running it again (stream: %s)", async (stream) => {
    const key = `late-retry-${String(stream)}-${Date.now()}`;
    const body = chatBody({ stream });
    const storedBefore = await h.storedJobCount();
    const first = post(body, key);
    const id = await heldJob(key);

    await sleep(WINDOW_MS * 2);
    const retry = post(body, key);
    // Long enough for a second message to be stored and reach the worker, had it been published.
    await sleep(500);
    expect((await h.storedJobCount()) - storedBefore).toBe(1);
    expect(h.worker.jobs.filter((job) => job.id === id)).toHaveLength(1);

    held.get(id)!();
    const [a, b] = await Promise.all([first, retry]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.headers["x-request-id"]).toBe(id);
    expect(b.body).toContain(`answer ${id}`);
    expect(a.body).toContain(`answer ${id}`);
  });

  it("is still a 422 when the retry asks something else", async () => {
    const key = `late-mismatch-${Date.now()}`;
    const first = post(chatBody(), key);
    const id = await heldJob(key);
    await sleep(WINDOW_MS * 2);
    const other = await post(chatBody({ messages: [{ role: "user", content: "something else" }] }), key);
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe("idempotency_key_reused");
    expect(h.worker.jobs.filter((job) => job.id === id)).toHaveLength(1);
    held.get(id)!();
    expect((await first).statusCode).toBe(200);
  });
});
