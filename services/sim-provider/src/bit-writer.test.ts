import { describe, expect, it } from "vitest";
import { BitWriter, nalUnit } from "./bit-writer.js";

const binary = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(2).padStart(8, "0")).join("");

describe("BitWriter", () => {
  it("writes Exp-Golomb codes as the H.264 spec tabulates them", () => {
    // ue: 0 -> 1, 1 -> 010, 2 -> 011, 3 -> 00100; se: 1 -> 010, -1 -> 011.
    const bits = binary(new BitWriter().ue(0).ue(1).ue(2).ue(3).se(1).se(-1).trailing());
    expect(bits).toBe("1" + "010" + "011" + "00100" + "010" + "011" + "1" + "00000");
  });

  it("pads with a stop bit and zeros to a whole byte", () => {
    expect(binary(new BitWriter().bits(0b101, 3).trailing())).toBe("10110000");
    expect(binary(new BitWriter().bits(0xab, 8).trailing())).toBe("10101011" + "10000000");
  });
});

describe("nalUnit", () => {
  it("writes the header byte and prevents start-code emulation", () => {
    const nal = nalUnit(3, 7, Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 0]));
    expect([...nal]).toEqual([0x67, 0, 0, 3, 1, 0, 0, 3, 0, 0, 3, 0, 4, 0, 0]);
  });
});
