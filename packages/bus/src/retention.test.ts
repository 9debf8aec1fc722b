import { afterEach, describe, expect, it } from "vitest";
import { Kvm } from "@nats-io/kv";
import { JOB_RETENTION_MS, createNames, randomId, type Names } from "@switchyard/contracts";
import { connectBus, type BusConnection } from "./connect.js";
import { openArtifactStore } from "./artifact-store.js";
import { openStatusStore } from "./status-store.js";
import { openTaskStore } from "./task-store.js";
import { deleteNamespaceStreams } from "./topology.js";
import { queuedRecord } from "./test-support/records.js";

// Against the real server: it is nats-server that drops what is older than a stream's max_age.
const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(): Promise<{ bus: BusConnection; names: Names }> {
  const bus = await connectBus({ servers: NATS_URL, name: "retention-test" });
  const names = createNames(`r${randomId(10).toLowerCase()}`);
  cleanups.push(async () => {
    await deleteNamespaceStreams(bus.jsm, names);
    await bus.close();
  });
  return { bus, names };
}

const maxAgeMs = async (bus: BusConnection, stream: string): Promise<number> =>
  (await bus.jsm.streams.info(stream)).config.max_age / 1e6;

describe("retention of job records, task ids and media", () => {
  it("keeps each for the default retention, counted in the buckets' streams", async () => {
    const { bus, names } = await setUp();
    await Promise.all([openStatusStore(bus, names), openTaskStore(bus.js, names), openArtifactStore(bus.js, names)]);
    expect(await maxAgeMs(bus, `KV_${names.statusBucket}`)).toBe(JOB_RETENTION_MS);
    expect(await maxAgeMs(bus, `KV_${names.tasksBucket}`)).toBe(JOB_RETENTION_MS);
    expect(await maxAgeMs(bus, `OBJ_${names.artifactsBucket}`)).toBe(JOB_RETENTION_MS);
  });

  it("sets the retention on buckets an earlier version made without one", async () => {
    const { bus, names } = await setUp();
    await new Kvm(bus.js).create(names.statusBucket, { history: 1 });
    await new Kvm(bus.js).create(names.tasksBucket, { history: 1 });
    expect(await maxAgeMs(bus, `KV_${names.statusBucket}`)).toBe(0);

    await openStatusStore(bus, names);
    await openTaskStore(bus.js, names);
    expect(await maxAgeMs(bus, `KV_${names.statusBucket}`)).toBe(JOB_RETENTION_MS);
    expect(await maxAgeMs(bus, `KV_${names.tasksBucket}`)).toBe(JOB_RETENTION_MS);
  });

  it("drops a record and an object once they are older than the retention", async () => {
    const { bus, names } = await setUp();
    const statuses = await openStatusStore(bus, names, { retentionMs: 1000 });
    const artifacts = await openArtifactStore(bus.js, names, { retentionMs: 1000 });
    const kept = queuedRecord();
    await statuses.create(kept);
    await artifacts.put(`${kept.id}/video.mp4`, new Uint8Array(2048), "video/mp4");
    expect(await statuses.get(kept.tenant, kept.id)).not.toBeNull();

    const deadline = Date.now() + 10_000;
    while (
      ((await statuses.get(kept.tenant, kept.id)) !== null ||
        (await artifacts.info(`${kept.id}/video.mp4`)) !== null) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await statuses.get(kept.tenant, kept.id)).toBeNull();
    expect(await artifacts.info(`${kept.id}/video.mp4`)).toBeNull();
  });
});
