import { inflateSync } from "node:zlib";

export interface PngChunk {
  type: string;
  data: Buffer;
  crc: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** CRC-32 (ISO-HDLC) bit by bit: deliberately not the zlib one the encoder uses. */
export function slowCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Splits a PNG into chunks, checking the signature, every length and every CRC. */
export function readPng(bytes: Buffer): {
  chunks: PngChunk[];
  width: number;
  height: number;
  pixels: Buffer;
  channels: number;
} {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error("not a PNG signature");
  const chunks: PngChunk[] = [];
  let at = 8;
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    const crc = bytes.readUInt32BE(at + 8 + length);
    if (crc !== slowCrc32(bytes.subarray(at + 4, at + 8 + length))) throw new Error(`bad CRC in ${type}`);
    chunks.push({ type, data, crc });
    at += 12 + length;
  }
  if (at !== bytes.length) throw new Error("trailing bytes after the last chunk");
  const ihdr = chunks[0];
  if (ihdr?.type !== "IHDR" || ihdr.data.length !== 13) throw new Error("IHDR must come first, 13 bytes long");
  if (chunks.at(-1)?.type !== "IEND") throw new Error("IEND must come last");
  const width = ihdr.data.readUInt32BE(0);
  const height = ihdr.data.readUInt32BE(4);
  const channels = ihdr.data[9] === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data)));
  const stride = width * channels;
  if (raw.length !== (stride + 1) * height) throw new Error("IDAT does not hold exactly the scanlines");
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) throw new Error("only filter type 0 is expected");
    raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { chunks, width, height, pixels, channels };
}
