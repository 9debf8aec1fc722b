import { describe, expect, it } from "vitest";
import { buildMp4 } from "./mp4.js";
import { BitReader, find, readBoxes } from "./test-support/mp4-boxes.js";

const u32At = (buf: Buffer, at: number): number => buf.readUInt32BE(at);

describe("buildMp4", () => {
  const file = buildMp4({ width: 720, height: 1280, seconds: 4 });
  const boxes = readBoxes(file);

  it("is ftyp, moov and mdat, every box size exact down the tree", () => {
    expect(boxes.map((b) => b.type)).toEqual(["ftyp", "moov", "mdat"]);
    const ftyp = boxes[0]!.payload;
    expect(ftyp.toString("latin1", 0, 4)).toBe("isom");
    expect(ftyp.toString("latin1", 8)).toBe("isomiso2avc1mp41");
    const stbl = find(boxes, "moov", "trak", "mdia", "minf", "stbl");
    expect(stbl.children.map((b) => b.type)).toEqual(["stsd", "stts", "stss", "stsc", "stsz", "stco"]);
    expect(find(boxes, "moov").children.map((b) => b.type)).toEqual(["mvhd", "trak"]);
    expect(find(boxes, "moov", "trak", "mdia").children.map((b) => b.type)).toEqual(["mdhd", "hdlr", "minf"]);
    expect(find(boxes, "moov", "trak", "mdia", "minf").children.map((b) => b.type)).toEqual(["vmhd", "dinf", "stbl"]);
    expect(find(boxes, "moov", "trak", "mdia", "minf", "dinf", "dref").children.map((b) => b.type)).toEqual(["url "]);
  });

  it("lasts the requested seconds in the movie, the track and the sample table", () => {
    const mvhd = find(boxes, "moov", "mvhd").payload;
    expect(u32At(mvhd, 16) / u32At(mvhd, 12)).toBe(4); // duration / timescale
    const tkhd = find(boxes, "moov", "trak", "tkhd").payload;
    expect(u32At(tkhd, 12)).toBe(1); // track_ID
    expect(u32At(tkhd, 20) / u32At(mvhd, 12)).toBe(4);
    expect([u32At(tkhd, 76) / 0x10000, u32At(tkhd, 80) / 0x10000]).toEqual([720, 1280]);
    const mdhd = find(boxes, "moov", "trak", "mdia", "mdhd").payload;
    const [timescale, duration] = [u32At(mdhd, 12), u32At(mdhd, 16)];
    expect(duration / timescale).toBe(4);
    const stts = find(boxes, "moov", "trak", "mdia", "minf", "stbl", "stts").payload;
    expect(u32At(stts, 4)).toBe(1);
    expect(u32At(stts, 8) * u32At(stts, 12)).toBe(duration); // sample_count * sample_delta
    expect(find(boxes, "moov", "trak", "mdia", "hdlr").payload.toString("latin1", 8, 12)).toBe("vide");
  });

  it("points stco into mdat, and the sample sizes tile mdat exactly", () => {
    const stbl = find(boxes, "moov", "trak", "mdia", "minf", "stbl");
    const stsz = find(stbl.children, "stsz").payload;
    const count = u32At(stsz, 8);
    expect(u32At(stsz, 4)).toBe(0); // sizes are listed one by one
    const sizes = Array.from({ length: count }, (_, i) => u32At(stsz, 12 + 4 * i));
    expect(count).toBe(u32At(find(stbl.children, "stts").payload, 8));
    const stsc = find(stbl.children, "stsc").payload;
    expect([u32At(stsc, 4), u32At(stsc, 8), u32At(stsc, 12), u32At(stsc, 16)]).toEqual([1, 1, count, 1]);
    const stco = find(stbl.children, "stco").payload;
    expect(u32At(stco, 4)).toBe(1);
    const mdat = find(boxes, "mdat");
    const chunkOffset = u32At(stco, 8);
    expect(chunkOffset).toBe(mdat.offset + 8);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(mdat.size - 8);

    // Each sample is one length-prefixed NAL unit: an IDR picture first, then P pictures.
    let at = chunkOffset;
    const nalTypes: number[] = [];
    for (const size of sizes) {
      expect(u32At(file, at)).toBe(size - 4);
      nalTypes.push(file[at + 4]! & 0x1f);
      at += size;
    }
    expect(at).toBe(file.length);
    expect(nalTypes[0]).toBe(5);
    expect(new Set(nalTypes.slice(1))).toEqual(new Set([1]));
    const stss = find(stbl.children, "stss").payload;
    expect([u32At(stss, 4), u32At(stss, 8)]).toEqual([1, 1]);
  });

  it("describes the stream in avc1/avcC with an SPS of the right size", () => {
    const avc1 = find(boxes, "moov", "trak", "mdia", "minf", "stbl", "stsd", "avc1");
    expect([avc1.payload.readUInt16BE(24), avc1.payload.readUInt16BE(26)]).toEqual([720, 1280]);
    const avcC = find(avc1.children, "avcC").payload;
    expect(avcC[0]).toBe(1);
    expect(avcC[4]! & 0x03).toBe(3); // 4-byte NAL lengths
    expect(avcC[5]! & 0x1f).toBe(1);
    const spsLength = avcC.readUInt16BE(6);
    const sps = avcC.subarray(8, 8 + spsLength);
    expect(sps[0]! & 0x1f).toBe(7);
    expect([...sps.subarray(1, 4)]).toEqual([avcC[1], avcC[2], avcC[3]]); // profile, constraints, level
    expect(avcC[8 + spsLength]).toBe(1);
    const pps = avcC.subarray(8 + spsLength + 3, 8 + spsLength + 3 + avcC.readUInt16BE(8 + spsLength + 1));
    expect(pps[0]! & 0x1f).toBe(8);
    expect(8 + spsLength + 3 + pps.length).toBe(avcC.length);
    expect(decodeSpsSize(sps)).toEqual({ width: 720, height: 1280 });
  });

  it("codes sizes that are not whole macroblocks with cropping", () => {
    const tall = readBoxes(buildMp4({ width: 1080, height: 1920, seconds: 8 }));
    const avcC = find(tall, "moov", "trak", "mdia", "minf", "stbl", "stsd", "avc1", "avcC").payload;
    expect(decodeSpsSize(avcC.subarray(8, 8 + avcC.readUInt16BE(6)))).toEqual({ width: 1080, height: 1920 });
    const mvhd = find(tall, "moov", "mvhd").payload;
    expect(u32At(mvhd, 16) / u32At(mvhd, 12)).toBe(8);
  });

  it("is deterministic", () => {
    expect(buildMp4({ width: 720, height: 1280, seconds: 4 }).equals(file)).toBe(true);
  });
});

/** The picture size an SPS describes, read the way a decoder does (baseline, no VUI). */
function decodeSpsSize(sps: Buffer): { width: number; height: number } {
  const r = new BitReader(sps.subarray(1));
  r.bits(24); // profile, constraints, level
  r.ue(); // seq_parameter_set_id
  r.ue(); // log2_max_frame_num_minus4
  expect(r.ue()).toBe(2); // pic_order_cnt_type
  r.ue(); // max_num_ref_frames
  r.bits(1);
  const across = r.ue() + 1;
  const down = r.ue() + 1;
  expect(r.bits(1)).toBe(1); // frame_mbs_only_flag
  r.bits(1);
  let [right, bottom] = [0, 0];
  if (r.bits(1) === 1) {
    r.ue();
    right = r.ue();
    r.ue();
    bottom = r.ue();
  }
  return { width: across * 16 - 2 * right, height: down * 16 - 2 * bottom };
}
