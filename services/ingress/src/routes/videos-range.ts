/** An inclusive byte range, as `Content-Range` writes it. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/i;

/**
 * Reads a `Range` header against a body of `size` bytes: one range (`bytes=a-b`, `a-`, `-n`),
 * `"unsatisfiable"` (416) when it starts past the end, or null to send the whole body. Other
 * units, several ranges and malformed headers are ignored, as RFC 9110 allows.
 *
 * @example
 * parseRange("bytes=-500", 1000); // { start: 500, end: 999 }
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (header === undefined) return null;
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}
