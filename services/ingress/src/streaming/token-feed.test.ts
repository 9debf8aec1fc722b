import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus, encodeJson, type BusConnection } from "@switchyard/bus";
import { randomId } from "@switchyard/contracts";
import { NATS_URL, testNames } from "../test-support/harness.js";
import { openTokenFeed } from "./token-feed.js";

describe("openTokenFeed", () => {
  let bus: BusConnection;
  const names = testNames();

  beforeAll(async () => {
    bus = await connectBus({ servers: NATS_URL, name: "token-feed-test" });
  });
  afterAll(async () => {
    await bus.close();
  });

  it("answers the worker's probes while open, without taking them for chunks; closed, nobody answers", async () => {
    const jobId = `job_${randomId(8)}`;
    const subject = names.tokenSubject(jobId);
    const feed = openTokenFeed(bus.nc, names, jobId);
    await bus.nc.flush();

    await expect(bus.nc.request(subject, new Uint8Array(0), { timeout: 1000 })).resolves.toBeDefined();
    bus.nc.publish(subject, encodeJson({ seq: 1, delta: { content: "after the probe" }, finish_reason: null }));
    expect(await feed.next()).toEqual({
      type: "chunk",
      chunk: { seq: 1, delta: { content: "after the probe" }, finish_reason: null },
    });

    feed.abort();
    await expect(bus.nc.request(subject, new Uint8Array(0), { timeout: 1000 })).rejects.toSatisfy(
      (error: { isNoResponders?: () => boolean }) => error.isNoResponders?.() === true,
    );
  });
});
