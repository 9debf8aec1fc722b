import type { Readable } from "node:stream";

export interface MultipartEndWatch {
  /** The close delimiter went by. */
  readonly ended: boolean;
  /** Stops reading the bytes (the parts are read, or reading them failed). */
  stop(): void;
}

const BOUNDARY_PARAM = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i;

/**
 * Watches a multipart body's bytes for its close delimiter (`CRLF--boundary--`): `ended` tells
 * whether it came. busboy reports a body that stops before the delimiter
 * ("Unexpected end of multipart data"), but @fastify/multipart turns that report into a plain
 * end of the parts: a last field cut short would be dropped without a word, and the request
 * served with that field's default. Call it on `request.raw` right before `request.parts()`
 * (in the same turn, so both readers get every chunk); read `ended` once the parts are read, and
 * `stop()` in any case. A content type without a boundary counts as ended: the parser refuses
 * that body itself.
 *
 * @example
 * const end = watchMultipartEnd(request.raw, request.headers["content-type"]);
 * for await (const part of request.parts()) read(part);
 * if (!end.ended) throw new InvalidRequestError("...", { code: "invalid_multipart" });
 */
export function watchMultipartEnd(raw: Readable, contentType: string | undefined): MultipartEndWatch {
  const param = BOUNDARY_PARAM.exec(contentType ?? "");
  const boundary = param?.[1] ?? param?.[2];
  if (boundary === undefined) return { ended: true, stop: () => undefined };
  const close = Buffer.from(`\r\n--${boundary}--`);
  // The CRLF before the first delimiter may be left out: a body of only `--boundary--` is whole.
  let tail = Buffer.from("\r\n");
  let seen = false;
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    // The delimiter inside this chunk, or across the seam with the previous one (copying only the seam).
    const seam = Buffer.concat([tail, bytes.subarray(0, close.length - 1)]);
    if (seam.includes(close) || bytes.includes(close)) {
      seen = true;
      raw.off("data", onData);
      return;
    }
    const joined = bytes.length >= close.length - 1 ? bytes : Buffer.concat([tail, bytes]);
    tail = Buffer.from(joined.subarray(Math.max(0, joined.length - (close.length - 1))));
  };
  raw.on("data", onData);
  return {
    get ended() {
      return seen;
    },
    stop: () => raw.off("data", onData),
  };
}
