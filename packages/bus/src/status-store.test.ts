import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNames, randomId, type JobRecord, type Names } from "@switchyard/contracts";
import { connectBus, type BusConnection } from "./connect.js";
import { DiscardPolicy } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { createStatusStore, openStatusStore, type StatusStore } from "./status-store.js";
import { deleteNamespaceStreams } from "./topology.js";
import { queuedRecord } from "./test-support/records.js";

// Against the real KV bucket: revisions and compare-and-set are JetStream's own.
const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";

let bus: BusConnection;
let names: Names;
let store: StatusStore;

beforeAll(async () => {
  bus = await connectBus({ servers: NATS_URL, name: "status-store-test" });
  names = createNames(`s${randomId(10).toLowerCase()}`);
  store = await openStatusStore(bus, names);
});
afterAll(async () => {
  await deleteNamespaceStreams(bus.jsm, names);
  await bus.close();
});

const raiseProgress =
  (to: number) =>
  (current: JobRecord): JobRecord | null =>
    current.progress >= to ? null : { ...current, progress: to };

describe("status store revise", () => {
  it("writes from the record it was given and answers the new revision, for the next write", async () => {
    const record = queuedRecord();
    const revision = await store.create(record);

    const first = await store.revise(record.tenant, record.id, raiseProgress(10), { record, revision });
    expect(first?.record.progress).toBe(10);
    expect(first?.revision).toBeGreaterThan(revision);
    const second = await store.revise(record.tenant, record.id, raiseProgress(20), first);

    expect(await store.get(record.tenant, record.id)).toEqual(second);
    expect(second?.record.progress).toBe(20);
  });

  it("rereads when another writer got there first, and keeps that writer's change", async () => {
    const record = queuedRecord();
    const revision = await store.create(record);
    await store.modify(record.tenant, record.id, (current) => ({ ...current, status: "cancelled" }));

    const revised = await store.revise(record.tenant, record.id, raiseProgress(30), { record, revision });
    expect(revised?.record).toMatchObject({ status: "cancelled", progress: 30 });
    expect(await store.get(record.tenant, record.id)).toEqual(revised);
  });

  it("does not take an old record's word that nothing needs writing", async () => {
    const record = queuedRecord();
    const revision = await store.create(record);
    const stale = { record: { ...record, progress: 50 }, revision };
    // The stale copy says 50 already; the stored record is at 0.

    const revised = await store.revise(record.tenant, record.id, raiseProgress(40), stale);
    expect(revised?.record.progress).toBe(40);
    expect((await store.get(record.tenant, record.id))?.record.progress).toBe(40);
  });
});

describe("status store writes", () => {
  it("creates a record once: a second create of the same job is refused and changes nothing", async () => {
    const record = queuedRecord();
    const revision = await store.create(record);
    await expect(store.create({ ...record, progress: 99 })).rejects.toThrow(/wrong last sequence/i);
    expect(await store.get(record.tenant, record.id)).toEqual({ record, revision });
  });

  it("creates again after a removal (the key's last entry is a purge marker)", async () => {
    const record = queuedRecord();
    await store.create(record);
    await store.remove(record.tenant, record.id);
    expect(await store.get(record.tenant, record.id)).toBeNull();

    const again = { ...record, progress: 5 };
    const revision = await store.create(again);
    expect(await store.get(record.tenant, record.id)).toEqual({ record: again, revision });
  });

  it("updates only at the record's current revision", async () => {
    const record = queuedRecord();
    const revision = await store.create(record);
    const updated = await store.update({ ...record, progress: 10 }, revision);
    expect(updated).toBeGreaterThan(revision);
    await expect(store.update({ ...record, progress: 20 }, revision)).rejects.toThrow(/wrong last sequence/i);
    expect((await store.get(record.tenant, record.id))?.record.progress).toBe(10);
  });

  it("refuses a key that is not one subject (a wildcard or an empty token)", async () => {
    await expect(store.get("tenant-s", "job_*")).rejects.toThrow(/invalid status key/);
    await expect(store.get("tenant-s", ">")).rejects.toThrow(/invalid status key/);
    await expect(store.put({ ...queuedRecord(), tenant: "a..b" })).rejects.toThrow(/invalid status key/);
  });

  it("puts without a revision check", async () => {
    const record = queuedRecord();
    await store.create(record);
    const revision = await store.put({ ...record, status: "in_progress" });
    expect(await store.get(record.tenant, record.id)).toEqual({
      record: { ...record, status: "in_progress" },
      revision,
    });
  });
});

describe("status store on a bucket without direct gets", () => {
  it("reads through nats.js when the stream has no direct gets (allow_direct off)", async () => {
    const own = createNames(`s${randomId(10).toLowerCase()}`);
    await bus.jsm.streams.add({
      name: `KV_${own.statusBucket}`,
      subjects: [`$KV.${own.statusBucket}.>`],
      max_msgs_per_subject: 1,
      allow_rollup_hdrs: true,
      deny_delete: true,
      discard: DiscardPolicy.New,
      allow_direct: false,
    });
    try {
      const kv = await new Kvm(bus.js).open(own.statusBucket);
      const plain = createStatusStore(kv, bus.jsm, own, bus.publisher, { directGets: false });
      const record = queuedRecord();
      const revision = await plain.create(record);
      expect(await plain.get(record.tenant, record.id)).toEqual({ record, revision });
      await plain.remove(record.tenant, record.id);
      expect(await plain.get(record.tenant, record.id)).toBeNull();
      expect(await plain.create(record)).toBeGreaterThan(revision);
    } finally {
      await deleteNamespaceStreams(bus.jsm, own);
    }
  });
});
