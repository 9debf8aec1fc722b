import { crc32, deflateSync } from "node:zlib";

/** Pixels in row-major order, `channels` bytes per pixel: 3 = RGB, 4 = RGBA. */
export interface Raster {
  width: number;
  height: number;
  channels: 3 | 4;
  pixels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types (IHDR byte 9). */
const COLOUR_TYPE = { 3: 2, 4: 6 } as const;

/**
 * Encodes a raster as a PNG file: signature, IHDR, one IDAT (zlib-deflated scanlines, each
 * with filter byte 0) and IEND, every chunk with its CRC-32. Same raster, same bytes.
 *
 * @example
 * const png = encodePng({ width: 1, height: 1, channels: 3, pixels: new Uint8Array([255, 0, 0]) });
 */
export function encodePng(raster: Raster): Buffer {
  const { width, height, channels, pixels } = raster;
  const stride = width * channels;
  if (pixels.length !== stride * height) throw new Error(`expected ${stride * height} bytes of pixels`);

  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = COLOUR_TYPE[channels];
  // Bytes 10-12: deflate compression, adaptive filtering, no interlace (all 0).

  const scanlines = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // Filter type 0 (None): the first byte of each line stays 0.
    scanlines.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }

  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(scanlines, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** length, type, data, CRC-32 over type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
