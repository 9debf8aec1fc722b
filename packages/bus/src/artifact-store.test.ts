import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNames, randomId, type Names } from "@switchyard/contracts";
import { connectBus, type BusConnection } from "./connect.js";
import { openArtifactStore, type ArtifactStore } from "./artifact-store.js";

const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";

let bus: BusConnection;
let names: Names;
let store: ArtifactStore;

beforeAll(async () => {
  bus = await connectBus({ servers: NATS_URL, name: "artifact-store-test" });
  names = createNames(`a${randomId(10).toLowerCase()}`);
  store = await openArtifactStore(bus.js, names);
});
afterAll(async () => {
  await bus.jsm.streams.delete(`OBJ_${names.artifactsBucket}`).catch(() => false);
  await bus.close();
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

describe("artifact store", () => {
  it("streams a many-chunk object back whole, and records its type", async () => {
    const data = randomBytes(1024 * 1024 + 123);
    expect(await store.put("j1/video.mp4", data, "video/mp4")).toEqual({
      name: "j1/video.mp4",
      bytes: data.length,
      contentType: "video/mp4",
    });
    expect(await store.info("j1/video.mp4")).toEqual({
      name: "j1/video.mp4",
      bytes: data.length,
      contentType: "video/mp4",
    });
    expect((await readAll((await store.getStream("j1/video.mp4"))!)).equals(data)).toBe(true);
  });

  it("fetches chunks only as the reader asks, and stops when cancelled", async () => {
    const data = randomBytes(4 * 1024 * 1024);
    await store.put("j2/video.mp4", data, "video/mp4");
    const reader = (await store.getStream("j2/video.mp4"))!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).equals(data.subarray(0, first.value!.length))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Pull-driven: a reader that stopped after one chunk has not caused the whole object to be fetched.
    const consumers = await bus.jsm.consumers.list(`OBJ_${names.artifactsBucket}`).next();
    expect(consumers).toHaveLength(1);
    expect(consumers[0]!.delivered.consumer_seq).toBeLessThan(16); // of 32 chunks
    await reader.cancel();
    // Finished and cancelled streams delete their consumers rather than leave them to expire.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await bus.jsm.consumers.list(`OBJ_${names.artifactsBucket}`).next()).toHaveLength(0);
  });

  it("handles empty and missing objects", async () => {
    await store.put("j3/empty.bin", new Uint8Array(0), "application/octet-stream");
    expect((await readAll((await store.getStream("j3/empty.bin"))!)).length).toBe(0);
    expect(await store.getStream("j3/missing")).toBeNull();
    expect(await store.info("j3/missing")).toBeNull();
    await store.remove("j3/empty.bin");
    expect(await store.getStream("j3/empty.bin")).toBeNull();
    await store.remove("j3/empty.bin");
  });
});
