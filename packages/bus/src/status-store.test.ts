import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobId, createNames, randomId, type JobRecord, type Names } from "@switchyard/contracts";
import { connectBus, type BusConnection } from "./connect.js";
import { openStatusStore, type StatusStore } from "./status-store.js";
import { deleteNamespaceStreams } from "./topology.js";

// Against the real KV bucket: revisions and compare-and-set are JetStream's own.
const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";

let bus: BusConnection;
let names: Names;
let store: StatusStore;

beforeAll(async () => {
  bus = await connectBus({ servers: NATS_URL, name: "status-store-test" });
  names = createNames(`s${randomId(10).toLowerCase()}`);
  store = await openStatusStore(bus.js, names);
});
afterAll(async () => {
  await deleteNamespaceStreams(bus.jsm, names);
  await bus.close();
});

function newRecord(): JobRecord {
  return {
    version: 1,
    id: createJobId(),
    tenant: "tenant-s",
    kind: "chat",
    family: "openai",
    model: "gpt-4o-mini",
    status: "queued",
    progress: 0,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    request: {},
    metadata: null,
    webhook: null,
    error: null,
    result: null,
    usage: null,
    jobsSeq: null,
    upstreamTaskId: null,
  };
}

const raiseProgress =
  (to: number) =>
  (current: JobRecord): JobRecord | null =>
    current.progress >= to ? null : { ...current, progress: to };

describe("status store revise", () => {
  it("writes from the record it was given and answers the new revision, for the next write", async () => {
    const record = newRecord();
    const revision = await store.create(record);

    const first = await store.revise(record.tenant, record.id, raiseProgress(10), { record, revision });
    expect(first?.record.progress).toBe(10);
    expect(first?.revision).toBeGreaterThan(revision);
    const second = await store.revise(record.tenant, record.id, raiseProgress(20), first);

    expect(await store.get(record.tenant, record.id)).toEqual(second);
    expect(second?.record.progress).toBe(20);
  });

  it("rereads when another writer got there first, and keeps that writer's change", async () => {
    const record = newRecord();
    const revision = await store.create(record);
    await store.modify(record.tenant, record.id, (current) => ({ ...current, status: "cancelled" }));

    const revised = await store.revise(record.tenant, record.id, raiseProgress(30), { record, revision });
    expect(revised?.record).toMatchObject({ status: "cancelled", progress: 30 });
    expect(await store.get(record.tenant, record.id)).toEqual(revised);
  });

  it("does not take an old record's word that nothing needs writing", async () => {
    const record = newRecord();
    const revision = await store.create(record);
    const stale = { record: { ...record, progress: 50 }, revision };
    // The stale copy says 50 already; the stored record is at 0.

    const revised = await store.revise(record.tenant, record.id, raiseProgress(40), stale);
    expect(revised?.record.progress).toBe(40);
    expect((await store.get(record.tenant, record.id))?.record.progress).toBe(40);
  });
});
