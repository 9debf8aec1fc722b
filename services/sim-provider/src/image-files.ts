import { artDimensions, artSeed, renderArt } from "./image-art.js";
import { encodePng } from "./png.js";

/** Everything that decides one picture's bytes; small enough to live in its URL. */
export interface ImageRef {
  seed: Buffer;
  width: number;
  height: number;
  transparent: boolean;
}

const FILE_NAME = /^img_([0-9a-f]{64})_(\d{1,3})x(\d{1,3})_([ot])\.png$/;

export function imageRef(prompt: string, index: number, size: string, transparent: boolean): ImageRef {
  return { seed: artSeed(prompt, index), ...artDimensions(size), transparent };
}

export function renderImage(ref: ImageRef): Buffer {
  return encodePng(renderArt(ref.seed, ref.width, ref.height, ref.transparent));
}

/**
 * The file name of a `url` result. It encodes the picture itself, so the sim keeps nothing per
 * image and a link stays good for as long as the sim runs (and across restarts).
 */
export function imageFileName(ref: ImageRef): string {
  return `img_${ref.seed.toString("hex")}_${ref.width}x${ref.height}_${ref.transparent ? "t" : "o"}.png`;
}

export function parseImageFileName(name: string): ImageRef | undefined {
  const match = FILE_NAME.exec(name);
  if (!match) return undefined;
  const width = Number(match[2]);
  const height = Number(match[3]);
  if (width < 1 || height < 1 || width > 64 || height > 64) return undefined;
  return { seed: Buffer.from(match[1] ?? "", "hex"), width, height, transparent: match[4] === "t" };
}
