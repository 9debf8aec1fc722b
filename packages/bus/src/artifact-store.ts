import { Objm, type ObjectStore } from "@nats-io/obj";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Names } from "@switchyard/contracts";

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

export function createArtifactStore(os: ObjectStore): ArtifactStore {
  const info = async (name: string): Promise<ArtifactInfo | null> => {
    const i = await os.info(name);
    if (!i || i.deleted) return null;
    return { name, bytes: i.size, contentType: i.headers?.get("content-type") ?? i.description ?? "application/octet-stream" };
  };
  return {
    put: async (name, data, contentType) => {
      const i = await os.putBlob({ name, description: contentType }, data);
      return { name, bytes: i.size, contentType };
    },
    info,
    getBytes: (name) => os.getBlob(name),
    getStream: async (name) => {
      const result = await os.get(name);
      return result ? result.data : null;
    },
    remove: async (name) => {
      if (await os.info(name)) await os.delete(name);
    },
  };
}

/** Opens (creating if needed) the artifacts object store. */
export async function openArtifactStore(js: JetStreamClient, names: Names, options: { replicas?: number } = {}): Promise<ArtifactStore> {
  const os = await new Objm(js).create(names.artifactsBucket, { replicas: options.replicas ?? 1 });
  return createArtifactStore(os);
}
