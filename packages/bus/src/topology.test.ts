import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNames, randomId } from "@switchyard/contracts";
import { openArtifactStore } from "./artifact-store.js";
import { connectBus, type BusConnection } from "./connect.js";
import { openStatusStore } from "./status-store.js";
import { openTaskStore } from "./task-store.js";
import { deleteNamespaceStreams, ensureStreams } from "./topology.js";

const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";

let bus: BusConnection;
beforeAll(async () => {
  bus = await connectBus({ servers: NATS_URL, name: "topology-test" });
});
afterAll(async () => {
  await bus.close();
});

async function streamsOf(namespace: string): Promise<string[]> {
  const found: string[] = [];
  for await (const info of bus.jsm.streams.list()) {
    if (info.config.name.includes(namespace.toUpperCase())) found.push(info.config.name);
  }
  return found.sort();
}

describe("deleteNamespaceStreams", () => {
  it("removes every stream of the namespace, buckets and object store included, and nothing else", async () => {
    const namespace = `d${randomId(10).toLowerCase()}`;
    const other = `d${randomId(10).toLowerCase()}`;
    for (const ns of [namespace, other]) {
      const names = createNames(ns);
      await ensureStreams(bus.jsm, names);
      await Promise.all([openStatusStore(bus, names), openTaskStore(bus.js, names), openArtifactStore(bus.js, names)]);
    }
    expect(await streamsOf(namespace)).toHaveLength(6);

    await deleteNamespaceStreams(bus.jsm, createNames(namespace));
    expect(await streamsOf(namespace)).toEqual([]);
    expect(await streamsOf(other)).toHaveLength(6);

    // Nothing left to delete is not an error.
    await deleteNamespaceStreams(bus.jsm, createNames(namespace));
    await deleteNamespaceStreams(bus.jsm, createNames(other));
    expect(await streamsOf(other)).toEqual([]);
  });
});
