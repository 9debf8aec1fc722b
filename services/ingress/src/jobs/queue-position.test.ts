import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishJson } from "@switchyard/bus";
import { createTrackedHarness, ensureFamilyConsumers, type TrackedHarness } from "../test-support/tracked-harness.js";
import { createQueueStates } from "./queue-position.js";

let h: TrackedHarness;

beforeAll(async () => {
  h = await createTrackedHarness();
  await ensureFamilyConsumers(h.bus, h.names, ["openai"]);
});
afterAll(async () => {
  await h?.close();
});

/** The harness's JetStream manager, counting consumer-info requests. */
function countingJsm(): { jsm: TrackedHarness["bus"]["jsm"]; requests: () => number } {
  let requests = 0;
  const { jsm } = h.bus;
  const consumers = Object.create(jsm.consumers) as typeof jsm.consumers;
  consumers.info = (stream, consumer) => {
    requests++;
    return jsm.consumers.info(stream, consumer);
  };
  return { jsm: Object.assign(Object.create(jsm) as typeof jsm, { consumers }), requests: () => requests };
}

const enqueue = (n: number) =>
  publishJson(h.bus.publisher, h.names.jobSubject("openai", "chat"), { n }, { msgId: `queued-${n}` });

describe("createQueueStates against NATS", () => {
  it("answers concurrent calls with two consumer-info requests: the one out, and one sent after it", async () => {
    const { jsm, requests } = countingJsm();
    const states = createQueueStates(jsm, h.names);
    const before = await states("openai");
    expect(requests()).toBe(1);

    const answers = await Promise.all(Array.from({ length: 10 }, () => states("openai")));
    expect(requests()).toBe(3);
    for (const answer of answers) expect(answer).toEqual(before);
  });

  it("never answers a call with state read before it: a job stored meanwhile is counted", async () => {
    const { jsm, requests } = countingJsm();
    const states = createQueueStates(jsm, h.names);
    const start = (await states("openai"))!.pending;

    // The first request leaves before the job is stored; the second call must not share it.
    const early = states("openai");
    await enqueue(1);
    const late = states("openai");
    await early;
    expect((await late)!.pending).toBe(start + 1);
    expect(requests()).toBe(3);
  });

  it("answers null for a family whose consumer does not exist", async () => {
    const states = createQueueStates(h.bus.jsm, h.names);
    expect(await states("nobody")).toBeNull();
  });
});
