import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobId } from "@switchyard/contracts";
import { createTrackedHarness, type TrackedHarness } from "../test-support/tracked-harness.js";
import { submitTrackedJob, type TrackedContext, type TrackedSubmission } from "./tracked.js";

// Against the real NATS of the test run: the record's revisions are the KV bucket's own.
let h: TrackedHarness;
let ctx: TrackedContext;

beforeAll(async () => {
  h = await createTrackedHarness();
  ctx = {
    bus: h.bus,
    names: h.names,
    clock: { now: () => Date.now() },
    statusStore: h.statusStore,
    artifacts: h.artifacts,
    ttlMs: 60_000,
  };
});
afterAll(async () => {
  await h?.close();
});

function submission(extra: Partial<TrackedSubmission> = {}): TrackedSubmission {
  const model = h.catalog.getModel("gpt-4o-mini");
  if (!model) throw new Error("the test catalog has no gpt-4o-mini");
  return {
    id: createJobId(),
    kind: "chat",
    model,
    tenant: "tenant-a",
    request: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
    webhook: undefined,
    metadata: undefined,
    idempotencyKey: undefined,
    ...extra,
  };
}

describe("submitTrackedJob", () => {
  it("stamps the record with the job's JOBS sequence", async () => {
    const input = submission();
    const accepted = await submitTrackedJob(ctx, input);
    const stored = await h.statusStore.get(input.tenant, input.id);

    expect(stored?.record).toMatchObject({ status: "queued", jobsSeq: accepted.jobsSeq });
    const msg = await h.bus.jsm.streams.getMessage(h.names.jobsStream, { seq: accepted.jobsSeq! });
    expect(msg?.json<{ id: string }>().id).toBe(input.id);
  });

  it("stamps the sequence onto a record a fast worker changed in between, keeping the worker's change", async () => {
    const input = submission({
      // Runs between the record's creation and the stamp, as a worker that took the job at once would.
      beforePublish: async () => {
        await h.statusStore.modify(input.tenant, input.id, (current) => ({ ...current, status: "in_progress" }));
      },
    });
    const accepted = await submitTrackedJob(ctx, input);
    const stored = await h.statusStore.get(input.tenant, input.id);

    expect(stored?.record).toMatchObject({ status: "in_progress", jobsSeq: accepted.jobsSeq });
    expect(accepted.jobsSeq).toEqual(expect.any(Number));
  });
});
