import { SseLineParser } from "../base/sse.js";
import type { StreamDecoder, StreamPart } from "../base/stream.js";

/** Every part a decoder makes of a recorded SSE text, as if it arrived in one piece. */
export function decodeAll(decoder: StreamDecoder, text: string, httpStatus = 200): StreamPart[] {
  return new SseLineParser().push(text).flatMap((event) => decoder.decode(event, httpStatus));
}

/** The content deltas of stream parts or events joined: the text a client would show. */
export function joinedContent(parts: ReadonlyArray<{ type: string; delta?: { content?: string | null } }>): string {
  return parts.map((part) => (part.type === "delta" ? (part.delta?.content ?? "") : "")).join("");
}

/** Drains an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}
