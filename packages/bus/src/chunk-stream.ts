import { createHash } from "node:crypto";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { ObjectInfo } from "@nats-io/obj";

/** Chunks fetched ahead of the reader: with 128 KiB chunks, at most half a MiB per open stream. */
const PREFETCH_CHUNKS = 4;
const DIGEST_PREFIX = "SHA-256=";
/** Ordered consumers are deleted when the stream ends; this reclaims those of a process that died first. */
const INACTIVE_THRESHOLD_MS = 30_000;

/**
 * An object's chunks as a pull-driven stream: the next chunk is fetched only when the reader
 * asks for it. `ObjectStore.get` pushes every chunk as fast as the server sends them, so a slow
 * HTTP client (a video player reading at playback speed) would make the process hold the whole
 * object. The digest is checked at the end, as `get` does.
 */
export async function openChunkStream(
  js: JetStreamClient,
  bucket: string,
  info: ObjectInfo,
): Promise<ReadableStream<Uint8Array>> {
  const consumer = await js.consumers.get(`OBJ_${bucket}`, {
    filter_subjects: `$O.${bucket}.C.${info.nuid}`,
    inactive_threshold: INACTIVE_THRESHOLD_MS,
  });
  const messages = await consumer.consume({ max_messages: PREFETCH_CHUNKS });
  // Every request for a video makes one: leaving them to expire would pile them up on the server.
  const finish = (): void => {
    messages.stop();
    consumer.delete().catch(() => undefined);
  };
  const iterator = messages[Symbol.asyncIterator]();
  const hash = createHash("sha256");
  let received = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const next = await iterator.next();
          if (next.done) {
            finish();
            return controller.error(new Error(`object ${info.name} ended after ${received} bytes`));
          }
          const { data, info: delivery } = next.value;
          if (data.length > 0) {
            hash.update(data);
            received += data.length;
            controller.enqueue(data);
          }
          if (delivery.pending === 0) {
            finish();
            if (!digestMatches(info.digest, hash.digest())) {
              return controller.error(new Error(`object ${info.name} is corrupt: its digest does not match`));
            }
            return controller.close();
          }
          if (data.length > 0) return;
        }
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 1 },
  );
}

function digestMatches(expected: string, actual: Buffer): boolean {
  if (!expected.startsWith(DIGEST_PREFIX)) return false;
  return Buffer.from(expected.slice(DIGEST_PREFIX.length), "base64url").equals(actual);
}
