import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus, encodeJson, ensureStreams, type BusConnection } from "@switchyard/bus";
import { BrokerError, createJobId } from "@switchyard/contracts";
import {
  NATS_URL,
  TERMINAL_DEFAULTS,
  chatCompletion,
  deleteStreams,
  publishEvent,
  testNames,
} from "../test-support/harness.js";
import { decodeTerminal, findStoredOutcome, watchOutcome } from "./await-outcome.js";

const names = testNames();
let bus: BusConnection;
beforeAll(async () => {
  bus = await connectBus({ servers: NATS_URL, name: "ingress-test-outcome" });
  await ensureStreams(bus.jsm, names);
});
afterAll(async () => {
  await deleteStreams(bus, names);
  await bus.close();
});

function completed(jobId: string) {
  return {
    version: 1 as const,
    type: "completed" as const,
    jobId,
    tenant: "t",
    kind: "chat" as const,
    family: "openai",
    model: "gpt-4o-mini",
    createdAt: 1,
    at: 2,
    route: "r1",
    attempts: 1,
    latencyMs: 3,
    result: chatCompletion("gpt-4o-mini", "hi"),
    usage: null,
    ...TERMINAL_DEFAULTS,
  };
}

describe("watchOutcome", () => {
  it("skips progress events and resolves with the terminal one", async () => {
    const id = createJobId();
    const watch = watchOutcome(bus.nc, names, id, 5_000);
    bus.nc.publish(names.eventSubject(id, "started"), encodeJson({ not: "decoded" }));
    await publishEvent(bus, names, completed(id));
    expect(await watch.outcome).toMatchObject({ type: "completed", jobId: id });
  });

  it("times out, and cancel ends a wait as aborted and unsubscribes", async () => {
    const timedOut = watchOutcome(bus.nc, names, createJobId(), 50);
    expect(await timedOut.outcome).toBe("timeout");

    const before = bus.nc.stats();
    const watch = watchOutcome(bus.nc, names, createJobId(), 5_000);
    watch.cancel();
    watch.cancel();
    expect(await watch.outcome).toBe("aborted");
    expect(bus.nc.stats()).toEqual(before);
  });

  it("turns an unreadable terminal event into a 502", async () => {
    const id = createJobId();
    const watch = watchOutcome(bus.nc, names, id, 5_000);
    bus.nc.publish(names.eventSubject(id, "completed"), encodeJson({ type: "completed" }));
    const outcome = await watch.outcome;
    expect(outcome).toBeInstanceOf(BrokerError);
    expect(outcome).toMatchObject({ status: 502, code: "invalid_event" });
    expect(decodeTerminal("x.completed", new TextEncoder().encode("{"), id)).toBeInstanceOf(BrokerError);
  });
});

describe("findStoredOutcome", () => {
  it("finds a stored terminal event and nothing for an unknown job", async () => {
    const id = createJobId();
    expect(await findStoredOutcome(bus.jsm, names, id)).toBeUndefined();
    await publishEvent(bus, names, completed(id));
    expect(await findStoredOutcome(bus.jsm, names, id)).toMatchObject({ type: "completed", jobId: id });
  });
});
