/**
 * ISO-BMFF building blocks: every box is a 32-bit size (header included), a four-character
 * type and its payload; a full box adds a version byte and 24 bits of flags.
 */
export function box(type: string, ...payload: Uint8Array[]): Buffer {
  if (type.length !== 4) throw new Error(`box type must be 4 characters: ${type}`);
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, body]);
}

export function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Buffer {
  return box(type, u8(version), uint(flags, 3), ...payload);
}

export function u8(value: number): Buffer {
  return uint(value, 1);
}

export function u16(value: number): Buffer {
  return uint(value, 2);
}

export function u32(value: number): Buffer {
  return uint(value, 4);
}

/** A big-endian unsigned integer `bytes` wide. */
export function uint(value: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}

export function zeros(bytes: number): Buffer {
  return Buffer.alloc(bytes);
}

export function fourCc(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

/** The identity transformation matrix of mvhd and tkhd (16.16 and 2.30 fixed point). */
export const UNITY_MATRIX = Buffer.concat(
  [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map((value) => u32(value)),
);
