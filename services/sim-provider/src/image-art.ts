import { createHash } from "node:crypto";
import type { Raster } from "./png.js";

/** The longer side of every picture: a simulator needs valid images, not big ones. */
const LONG_SIDE = 64;

/** 32 bytes that decide one picture: the hash of the prompt and the image's index. */
export function artSeed(prompt: string, index: number): Buffer {
  return createHash("sha256").update(`${index}\u0000${prompt}`).digest();
}

/** The picture's pixel size for a requested `WxH` (or `auto`): the same aspect, LONG_SIDE long. */
export function artDimensions(size: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(size);
  const w = Number(match?.[1] ?? 1);
  const h = Number(match?.[2] ?? 1);
  if (!(w > 0 && h > 0)) return { width: LONG_SIDE, height: LONG_SIDE };
  const scale = LONG_SIDE / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/**
 * A deterministic pattern (stripes, checks or diagonals of two colours, shaded top to bottom)
 * chosen by the seed. With `transparent`, the second colour's cells are fully transparent.
 */
export function renderArt(seed: Uint8Array, width: number, height: number, transparent: boolean): Raster {
  const byte = (i: number): number => seed[i % seed.length] ?? 0;
  const first = [byte(0), byte(1), byte(2)];
  const second = [byte(3), byte(4), byte(5)];
  const kind = byte(6) % 4;
  const cell = 4 + (byte(7) % 12);
  const channels = transparent ? 4 : 3;
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const shade = 0.6 + (0.4 * y) / Math.max(1, height - 1);
    for (let x = 0; x < width; x++) {
      const onFirst = inFirst(kind, Math.floor(x / cell), Math.floor(y / cell), Math.floor((x + y) / cell));
      const colour = onFirst ? first : second;
      const at = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) pixels[at + c] = Math.round((colour[c] ?? 0) * shade);
      if (transparent) pixels[at + 3] = onFirst ? 255 : 0;
    }
  }
  return { width, height, channels, pixels };
}

function inFirst(kind: number, col: number, row: number, diagonal: number): boolean {
  if (kind === 0) return row % 2 === 0;
  if (kind === 1) return col % 2 === 0;
  if (kind === 2) return (col + row) % 2 === 0;
  return diagonal % 2 === 0;
}
