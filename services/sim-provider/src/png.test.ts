import { describe, expect, it } from "vitest";
import { encodePng } from "./png.js";
import { readPng } from "./test-support/png-chunks.js";

describe("encodePng", () => {
  it("writes signature, IHDR, IDAT and IEND with correct CRCs, and the pixels inflate back", () => {
    const pixels = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePng({ width: 5, height: 3, channels: 3, pixels });
    const parsed = readPng(png);
    expect(parsed.chunks.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    const ihdr = parsed.chunks[0]!.data;
    expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]); // 8-bit truecolour, deflate, no filter, no interlace
    expect(parsed).toMatchObject({ width: 5, height: 3, channels: 3 });
    expect([...parsed.pixels]).toEqual([...pixels]);
    expect(parsed.chunks[2]!.crc).toBe(0xae426082); // every PNG ends with the same IEND
  });

  it("writes RGBA as colour type 6", () => {
    const pixels = Uint8Array.from({ length: 2 * 2 * 4 }, (_, i) => i);
    const parsed = readPng(encodePng({ width: 2, height: 2, channels: 4, pixels }));
    expect(parsed.chunks[0]!.data[9]).toBe(6);
    expect([...parsed.pixels]).toEqual([...pixels]);
  });

  it("rejects a pixel buffer of the wrong size", () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 3, pixels: new Uint8Array(5) })).toThrow(/12 bytes/);
  });
});
