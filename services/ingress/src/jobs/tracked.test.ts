import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceUnavailableError, createJobId } from "@switchyard/contracts";
import { createTrackedHarness, type TrackedHarness } from "../test-support/tracked-harness.js";
import { submitTrackedJob, type TrackedContext, type TrackedSubmission } from "./tracked.js";
import { cancelTrackedJob } from "./tracked-cancel.js";

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

  describe("when the publish is stored but its ack is lost", () => {
    /** The context with a publisher whose job publishes reach JetStream and then fail, as a lost ack does. */
    const ackLost = (): TrackedContext => {
      const publisher = h.bus.publisher;
      const jobSubject = h.names.jobSubject(h.catalog.getModel("gpt-4o-mini")!.family, "chat");
      return {
        ...ctx,
        bus: {
          ...h.bus,
          publisher: {
            ...publisher,
            request: (subject, data, options) => publisher.request(subject, data, options),
            publish: async (subject, data, options) => {
              const ack = await publisher.publish(subject, data, options);
              // A keyed job's subject carries its id as a last token.
              if (subject === jobSubject || subject.startsWith(`${jobSubject}.`))
                throw new Error(`no ack for ${ack.seq}`);
              return ack;
            },
          },
        },
      };
    };
    const jobsStored = async () => (await h.bus.jsm.streams.info(h.names.jobsStream)).state.messages;

    it("keeps a keyed job's record for the retry, which publishes it under the same message id", async () => {
      const input = submission({ idempotencyKey: "order-9" });
      const before = await jobsStored();
      await expect(submitTrackedJob(ackLost(), input)).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect((await h.statusStore.get(input.tenant, input.id))?.record).toMatchObject({
        status: "queued",
        jobsSeq: null,
      });

      const accepted = await submitTrackedJob(ctx, input);
      expect(await jobsStored()).toBe(before + 1);
      const stored = await h.statusStore.get(input.tenant, input.id);
      expect(stored?.record).toMatchObject({ status: "queued", jobsSeq: accepted.jobsSeq });
      const msg = await h.bus.jsm.streams.getMessage(h.names.jobsStream, { seq: accepted.jobsSeq! });
      expect(msg?.json<{ id: string }>().id).toBe(input.id);
    });

    it("removes an unkeyed job's record: the client's retry is another job", async () => {
      const input = submission();
      await expect(submitTrackedJob(ackLost(), input)).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(await h.statusStore.get(input.tenant, input.id)).toBeNull();
    });
  });

  it("gives a keyed job submitted again after its record was deleted the outcome it had", async () => {
    const input = submission({ idempotencyKey: "order-12" });
    const jobsStored = async () => (await h.bus.jsm.streams.info(h.names.jobsStream)).state.messages;
    await submitTrackedJob(ctx, input);
    // What DELETE /v1/videos/{id} does to a queued job: cancel it, then remove its record.
    await cancelTrackedJob(ctx, input.tenant, input.id);
    await h.statusStore.remove(input.tenant, input.id);
    const before = await jobsStored();

    // The same key inside JetStream's duplicate window: the publish is dropped as a duplicate.
    const again = await submitTrackedJob(ctx, input);
    expect(await jobsStored()).toBe(before);
    expect(again).toMatchObject({ id: input.id, status: "cancelled" });
    expect((await h.statusStore.get(input.tenant, input.id))?.record.status).toBe("cancelled");
  });
});
