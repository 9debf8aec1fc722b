import { afterEach, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { randomId } from "@switchyard/contracts";
import { pullExpiresMs, startConsumeLoop, type ConsumeLoop } from "./consume.js";

// Against the real nats-server of the test run (Debian's 2.9.10 here, which miscounts
// redeliveries after a consumer's crash when its pull requests outlive the ack wait).
const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const ACK_WAIT_MS = 3_000;
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

async function connected(): Promise<NatsConnection> {
  const nc = await connect({ servers: NATS_URL });
  cleanup.push(() => nc.close());
  return nc;
}

describe("consume loop", () => {
  it("expires pull requests within half the ack wait, between 1 and 30 seconds", () => {
    expect(pullExpiresMs(3_000)).toBe(1_500);
    expect(pullExpiresMs(500)).toBe(1_000);
    expect(pullExpiresMs(120_000)).toBe(30_000);
  });

  it("gets a crashed consumer's message once more, counted as its second delivery", async () => {
    const stream = `CONSUME_${randomId(8)}`;
    const admin = await connected();
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    cleanup.push(() => jsm.streams.delete(stream));
    await jsm.consumers.add(stream, {
      durable_name: "work",
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_deliver: 10,
    });
    await jetstream(admin).publish(`${stream}.job`, "job");

    // The first process takes the message and dies holding it.
    const doomed = await connect({ servers: NATS_URL });
    let taken!: () => void;
    const tookIt = new Promise<void>((resolve) => (taken = resolve));
    await startConsumeLoop(await jetstream(doomed).consumers.get(stream, "work"), {
      concurrency: 4,
      ackWaitMs: ACK_WAIT_MS,
      spanName: "doomed",
      handle: () => {
        taken();
        return new Promise<void>(() => undefined);
      },
    });
    await tookIt;
    await doomed.close();
    // Past the ack wait, twice: when nats-server 2.9 tries the dead process's pull requests if they
    // are still open (with nats.js's 30 s pulls, the survivor got the job twice, counted 3 and 1).
    await new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS + 5_000));

    const survivor = await connected();
    const seen: JsMsg[] = [];
    const loop: ConsumeLoop = await startConsumeLoop(await jetstream(survivor).consumers.get(stream, "work"), {
      concurrency: 4,
      ackWaitMs: ACK_WAIT_MS,
      spanName: "survivor",
      handle: async (msg) => {
        seen.push(msg);
        msg.ack();
      },
    });
    cleanup.push(() => loop.stop());
    // A second copy, which the miscounting server sends, would come with the first.
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    expect(seen.map((msg) => [msg.info.deliveryCount, msg.info.redelivered])).toEqual([[2, true]]);
  }, 20_000);
});
