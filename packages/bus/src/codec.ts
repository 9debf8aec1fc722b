const decoder = new TextDecoder();

/**
 * JSON as UTF-8 bytes for a message payload. `Buffer.from` rather than `TextEncoder.encode`:
 * on Node 20 it is about three times faster for the 0.2–2 KB of a job or an event.
 */
export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), "utf8");
}

export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(decoder.decode(data)) as unknown;
}
