import { describe, expect, it } from "vitest";
import { artDimensions } from "./image-art.js";
import { imageFileName, imageRef, parseImageFileName, renderImage } from "./image-files.js";
import { readPng } from "./test-support/png-chunks.js";

describe("generated images", () => {
  it("are the same bytes for the same prompt and index, and differ otherwise", () => {
    const a = renderImage(imageRef("a lighthouse", 0, "1024x1024", false));
    expect(renderImage(imageRef("a lighthouse", 0, "1024x1024", false)).equals(a)).toBe(true);
    expect(renderImage(imageRef("a lighthouse", 1, "1024x1024", false)).equals(a)).toBe(false);
    expect(renderImage(imageRef("a lighthouses", 0, "1024x1024", false)).equals(a)).toBe(false);
  });

  it("are small, keep the requested aspect, and are transparent when asked", () => {
    expect(artDimensions("1024x1024")).toEqual({ width: 64, height: 64 });
    expect(artDimensions("1536x1024")).toEqual({ width: 64, height: 43 });
    expect(artDimensions("1024x1792")).toEqual({ width: 37, height: 64 });
    expect(artDimensions("auto")).toEqual({ width: 64, height: 64 });
    const wide = readPng(renderImage(imageRef("x", 0, "1536x1024", false)));
    expect(wide).toMatchObject({ width: 64, height: 43, channels: 3 });
    const clear = readPng(renderImage(imageRef("x", 0, "1024x1024", true)));
    expect(clear.channels).toBe(4);
    const alphas = new Set(clear.pixels.filter((_, i) => i % 4 === 3));
    expect([...alphas].sort()).toEqual([0, 255]);
  });

  it("name their files by what decides their bytes, so a link needs no stored state", () => {
    const ref = imageRef("a red bicycle", 2, "1024x1536", true);
    const name = imageFileName(ref);
    expect(name).toMatch(/^img_[0-9a-f]{64}_43x64_t\.png$/);
    expect(parseImageFileName(name)).toEqual(ref);
    expect(parseImageFileName("img_zz_1x1_o.png")).toBeUndefined();
    expect(parseImageFileName(name.replace("43x64", "999x64"))).toBeUndefined();
  });
});
