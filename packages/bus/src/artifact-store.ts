import { Objm, type ObjectStore } from "@nats-io/obj";
import type { JetStreamClient } from "@nats-io/jetstream";
import { JOB_RETENTION_MS, type Names } from "@switchyard/contracts";
import { openChunkStream } from "./chunk-stream.js";
import { ensureMaxAge } from "./topology.js";

export interface ArtifactInfo {
  name: string;
  bytes: number;
  contentType: string;
}

/**
 * Generated images and videos, in a JetStream object store (chunked, so a video never sits
 * whole in one message). Names are `<jobId>/<file>`, so one job's artifacts go together.
 */
export interface ArtifactStore {
  put(name: string, data: Uint8Array, contentType: string): Promise<ArtifactInfo>;
  info(name: string): Promise<ArtifactInfo | null>;
  /** The whole object; for small ones (images). */
  getBytes(name: string): Promise<Uint8Array | null>;
  /** A stream of the object's chunks, for serving large ones. */
  getStream(name: string): Promise<ReadableStream<Uint8Array> | null>;
  remove(name: string): Promise<void>;
}

/**
 * `chunks` lets `getStream` read chunk by chunk as the reader asks (see `openChunkStream`);
 * without it, streams come from `ObjectStore.get`, which buffers ahead without bound.
 */
export function createArtifactStore(os: ObjectStore, chunks?: { js: JetStreamClient; bucket: string }): ArtifactStore {
  const info = async (name: string): Promise<ArtifactInfo | null> => {
    const i = await os.info(name);
    if (!i || i.deleted) return null;
    // Headers answer "" for a missing header, so `??` would never reach the description.
    return {
      name,
      bytes: i.size,
      contentType: i.headers?.get("content-type") || i.description || "application/octet-stream",
    };
  };
  return {
    put: async (name, data, contentType) => {
      const i = await os.putBlob({ name, description: contentType }, data);
      return { name, bytes: i.size, contentType };
    },
    info,
    getBytes: (name) => os.getBlob(name),
    getStream: async (name) => {
      if (chunks) {
        const i = await os.info(name);
        if (!i || i.deleted) return null;
        // Links and empty objects have no chunks of their own.
        if (!i.options?.link && i.size > 0) return openChunkStream(chunks.js, chunks.bucket, i);
      }
      const result = await os.get(name);
      return result ? result.data : null;
    },
    remove: async (name) => {
      if (await os.info(name)) await os.delete(name);
    },
  };
}

/** Opens (creating if needed) the artifacts object store; an object is kept `retentionMs` (`JOB_RETENTION_MS`). */
export async function openArtifactStore(
  js: JetStreamClient,
  names: Names,
  options: { replicas?: number; retentionMs?: number } = {},
): Promise<ArtifactStore> {
  const retentionMs = options.retentionMs ?? JOB_RETENTION_MS;
  // Not the bucket's `ttl` option: nats.js takes it in nanoseconds here and milliseconds for KV.
  const os = await new Objm(js).create(names.artifactsBucket, { replicas: options.replicas ?? 1 });
  await ensureMaxAge(await js.jetstreamManager(), `OBJ_${names.artifactsBucket}`, retentionMs);
  return createArtifactStore(os, { js, bucket: names.artifactsBucket });
}
