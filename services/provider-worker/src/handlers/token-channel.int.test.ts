import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus, type BusConnection } from "@switchyard/bus";
import { createNames, randomId } from "@switchyard/contracts";
import { NATS_URL } from "../test-support/harness.js";
import { natsTokenChannels } from "./token-channel.js";

describe("natsTokenChannels: is anyone reading the chunks?", () => {
  let bus: BusConnection;
  const names = createNames(`w${randomId(8).toLowerCase()}`);
  const open = () => natsTokenChannels(bus.nc, names);

  beforeAll(async () => {
    bus = await connectBus({ servers: NATS_URL, name: "token-channel-test" });
  });
  afterAll(async () => {
    await bus.close();
  });

  it("says gone when nobody subscribes to the job's tokens, after a second look", async () => {
    const channel = open()(`job_${randomId(8)}`);
    const started = Date.now();
    expect(await channel.receiverGone()).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    channel.close();
  });

  it("says present when the reader answers the probe, and delivers chunks as before", async () => {
    const jobId = `job_${randomId(8)}`;
    const chunks: string[] = [];
    const sub = bus.nc.subscribe(names.tokenSubject(jobId), {
      callback: (_error, msg) => {
        if (msg.reply) msg.respond();
        else chunks.push(new TextDecoder().decode(msg.data));
      },
    });
    await bus.nc.flush();
    const channel = open()(jobId);
    expect(await channel.receiverGone()).toBe(false);
    channel.publish({ seq: 1, delta: { content: "hi" }, finish_reason: null });
    await bus.nc.flush();
    expect(chunks.map((c) => JSON.parse(c).delta.content)).toEqual(["hi"]);
    channel.close();
    sub.unsubscribe();
  });

  it("says present when the reader subscribes between the two looks (a cluster learning of it late)", async () => {
    const jobId = `job_${randomId(8)}`;
    const channel = open()(jobId);
    const verdict = channel.receiverGone();
    await new Promise((r) => setTimeout(r, 50));
    const sub = bus.nc.subscribe(names.tokenSubject(jobId), {
      callback: (_error, msg) => {
        msg.respond();
      },
    });
    expect(await verdict).toBe(false);
    channel.close();
    sub.unsubscribe();
  });

  it("never reports a channel closed meanwhile as gone", async () => {
    const channel = open()(`job_${randomId(8)}`);
    const verdict = channel.receiverGone();
    channel.close();
    expect(await verdict).toBe(false);
  });
});
