/** One ISO-BMFF box as a test reads it back. */
export interface Mp4Box {
  type: string;
  /** Offset of the box's first byte in the file. */
  offset: number;
  size: number;
  /** The payload, after the 8-byte header. */
  payload: Buffer;
  children: Mp4Box[];
}

/** Boxes that hold only boxes, and boxes that hold boxes after a fixed-size prefix. */
const CONTAINERS: Record<string, number> = {
  moov: 0,
  trak: 0,
  mdia: 0,
  minf: 0,
  dinf: 0,
  stbl: 0,
  dref: 8, // version, flags, entry_count
  stsd: 8,
  avc1: 78, // the visual sample entry's fields
};

/**
 * Reads boxes from `start` to `end`, throwing unless they tile the range exactly (each size
 * at least 8, none past the end), and descends into known containers.
 */
export function readBoxes(file: Buffer, start = 0, end = file.length): Mp4Box[] {
  const boxes: Mp4Box[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) throw new Error(`stray ${end - at} bytes at ${at}`);
    const size = file.readUInt32BE(at);
    const type = file.toString("latin1", at + 4, at + 8);
    if (size < 8 || at + size > end) throw new Error(`box ${type} at ${at} has bad size ${size}`);
    const prefix = CONTAINERS[type];
    const children = prefix === undefined ? [] : readBoxes(file, at + 8 + prefix, at + size);
    boxes.push({ type, offset: at, size, payload: file.subarray(at + 8, at + size), children });
    at += size;
  }
  return boxes;
}

/** The box at a path of types, e.g. find(boxes, "moov", "trak", "tkhd"). */
export function find(boxes: Mp4Box[], ...path: string[]): Mp4Box {
  let level = boxes;
  let found: Mp4Box | undefined;
  for (const type of path) {
    found = level.find((b) => b.type === type);
    if (!found) throw new Error(`no ${type} in ${path.join("/")}`);
    level = found.children;
  }
  if (!found) throw new Error("empty path");
  return found;
}

/** Reads Exp-Golomb-coded fields back out of an RBSP (emulation prevention removed first). */
export class BitReader {
  private at = 0;
  private readonly bytes: Buffer;

  constructor(nalPayload: Buffer) {
    const out: number[] = [];
    let zeros = 0;
    for (const byte of nalPayload) {
      if (zeros >= 2 && byte === 3) {
        zeros = 0;
        continue;
      }
      out.push(byte);
      zeros = byte === 0 ? zeros + 1 : 0;
    }
    this.bytes = Buffer.from(out);
  }

  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.bytes[this.at >> 3];
      if (byte === undefined) throw new Error("read past the end");
      value = value * 2 + ((byte >> (7 - (this.at & 7))) & 1);
      this.at += 1;
    }
    return value;
  }

  ue(): number {
    let zeros = 0;
    while (this.bits(1) === 0) zeros += 1;
    return 2 ** zeros - 1 + this.bits(zeros);
  }
}
