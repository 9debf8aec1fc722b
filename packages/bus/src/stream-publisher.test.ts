import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DiscardPolicy, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { randomId } from "@switchyard/contracts";
import {
  createPipelinedPublisher,
  MessageTooLargeError,
  StreamPublishError,
  type PipelinedPublisher,
} from "./stream-publisher.js";

// Against the real nats-server of the test run: the acks, duplicates and refusals are JetStream's own.
const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const prefix = `pub${randomId(8).toLowerCase()}`;
const stream = `PUB_${prefix}`;
const full = `PUBFULL_${prefix}`;

let nc: NatsConnection;
let jsm: JetStreamManager;
let publisher: PipelinedPublisher;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.ok.>`] });
  await jsm.streams.add({ name: full, subjects: [`${prefix}.full.>`], max_msgs: 1, discard: DiscardPolicy.New });
  publisher = createPipelinedPublisher(nc, { timeoutMs: 300 });
});
afterAll(async () => {
  publisher.close();
  for (const name of [stream, full]) await jsm.streams.delete(name).catch(() => false);
  await nc.close();
});

describe("pipelined stream publisher", () => {
  it("resolves with the stream's ack, and reports a second message with the same id as a duplicate", async () => {
    const id = randomId(12);
    const first = await publisher.publish(`${prefix}.ok.a`, bytes("one"), { msgID: id });
    const again = await publisher.publish(`${prefix}.ok.a`, bytes("one"), { msgID: id });

    expect(first).toEqual({ stream, seq: expect.any(Number) as number, duplicate: false });
    expect(again).toEqual({ stream, seq: first.seq, duplicate: true });
    const stored = await jsm.streams.getMessage(stream, { seq: first.seq });
    expect(stored?.header.get("Nats-Msg-Id")).toBe(id);
  });

  it("matches each of many concurrent publishes to its own ack", async () => {
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        publisher.publish(`${prefix}.ok.many`, bytes(String(i)), { msgID: randomId(12) }),
      ),
    );
    const seqs = acks.map((ack) => ack.seq);
    expect(new Set(seqs).size).toBe(200);
    for (const [i, ack] of acks.entries()) {
      const stored = await jsm.streams.getMessage(stream, { seq: ack.seq });
      expect(new TextDecoder().decode(stored?.data)).toBe(String(i));
    }
  });

  it("rejects when no stream takes the subject", async () => {
    const error = await publisher
      .publish(`${prefix}.nowhere`, bytes("x"), { msgID: randomId(12) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamPublishError);
    expect((error as StreamPublishError).code).toBe(503);
  });

  it("rejects with JetStream's error code when the stream refuses the message", async () => {
    await publisher.publish(`${prefix}.full.a`, bytes("fits"), { msgID: randomId(12) });
    const error = await publisher
      .publish(`${prefix}.full.a`, bytes("does not"), { msgID: randomId(12) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamPublishError);
    expect((error as StreamPublishError).code).toBe(10077); // maximum messages exceeded
  });

  it("rejects a message over the server's max_payload as too large, counting its headers, and sends nothing", async () => {
    const limit = nc.info!.max_payload;
    const before = (await jsm.streams.info(stream)).state.messages;
    // The payload alone fits; with the Nats-Msg-Id header it does not.
    const atLimit = new Uint8Array(limit - 4);
    const rejected = publisher.publish(`${prefix}.ok.big`, atLimit, { msgID: randomId(12) });
    await expect(rejected).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(rejected).rejects.not.toBeInstanceOf(StreamPublishError);
    await expect(rejected).rejects.toMatchObject({ limit, size: expect.any(Number) as number });
    await expect(publisher.publish(`${prefix}.ok.big`, new Uint8Array(limit + 1), {})).rejects.toBeInstanceOf(
      MessageTooLargeError,
    );
    expect((await jsm.streams.info(stream)).state.messages).toBe(before);
  });

  it("rejects when no ack comes in time", async () => {
    // A plain subscriber that never answers: the server sees a responder, so no 503 either.
    const silent = nc.subscribe(`${prefix}.silent`);
    await nc.flush();
    const started = Date.now();
    const error = await publisher
      .publish(`${prefix}.silent`, bytes("x"), { msgID: randomId(12) })
      .catch((e: unknown) => e);
    silent.unsubscribe();

    expect(error).toBeInstanceOf(StreamPublishError);
    expect((error as Error).message).toMatch(/no answer from JetStream/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("rejects what is pending when closed, and every publish after", async () => {
    const own = createPipelinedPublisher(nc, { timeoutMs: 5000 });
    const silent = nc.subscribe(`${prefix}.silent2`);
    await nc.flush();
    const pending = own.publish(`${prefix}.silent2`, bytes("x"), { msgID: randomId(12) }).catch((e: unknown) => e);
    own.close();
    silent.unsubscribe();

    expect(await pending).toBeInstanceOf(StreamPublishError);
    await expect(own.publish(`${prefix}.ok.late`, bytes("x"), { msgID: randomId(12) })).rejects.toThrow(/closed/);
  });
});
