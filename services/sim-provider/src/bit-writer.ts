/**
 * Writes an H.264 RBSP bit by bit: fixed-width fields and the Exp-Golomb codes (`ue`, `se`)
 * that parameter sets and slice headers are made of.
 */
export class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  /** The low `count` bits of `value`, most significant first. */
  bits(value: number, count: number): this {
    for (let i = count - 1; i >= 0; i--) this.bit((value >>> i) & 1);
    return this;
  }

  bit(value: number): this {
    this.current = (this.current << 1) | (value & 1);
    this.used += 1;
    if (this.used === 8) {
      this.bytes.push(this.current);
      this.current = 0;
      this.used = 0;
    }
    return this;
  }

  /** Unsigned Exp-Golomb: N zeros, then value + 1 in N + 1 bits. */
  ue(value: number): this {
    const coded = value + 1;
    const length = 32 - Math.clz32(coded);
    return this.bits(0, length - 1).bits(coded, length);
  }

  /** Signed Exp-Golomb: 1, -1, 2, -2, ... map to 1, 2, 3, 4, ... */
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits: a stop bit, then zeros up to the byte boundary. */
  trailing(): Uint8Array {
    this.bit(1);
    while (this.used !== 0) this.bit(0);
    return Uint8Array.from(this.bytes);
  }
}

/**
 * A NAL unit: its header byte, then the RBSP with emulation prevention (a 0x03 after any two
 * zero bytes that would otherwise be followed by a byte <= 3, so no start code appears inside).
 */
export function nalUnit(refIdc: number, type: number, rbsp: Uint8Array): Buffer {
  const out: number[] = [(refIdc << 5) | type];
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}
