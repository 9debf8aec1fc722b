import { avcStream, idrPicture, skipPicture, type AvcStream } from "./h264.js";
import { box, fourCc, fullBox, u16, u32, u8, UNITY_MATRIX, zeros } from "./mp4-box.js";

export interface Mp4Options {
  width: number;
  height: number;
  seconds: number;
  /** Frames per second. Default 24. */
  fps?: number;
}

const MOVIE_TIMESCALE = 1000;
/** ISO-639-2 "und", packed as three 5-bit letters. */
const LANGUAGE_UND = 0x55c4;

/**
 * A small, valid MP4 (ftyp, moov, mdat, moov first so it plays while downloading) holding one
 * H.264 video track of the given size and length: a grey IDR picture then skipped P pictures.
 * Built by code, so the same options give the same bytes.
 *
 * @example
 * const mp4 = buildMp4({ width: 720, height: 1280, seconds: 4 });
 */
export function buildMp4(options: Mp4Options): Buffer {
  const { width, height, seconds } = options;
  const fps = options.fps ?? 24;
  const frames = Math.max(1, Math.round(seconds * fps));
  const avc = avcStream(width, height);
  // Each sample is one NAL unit with a 4-byte length prefix (avcC lengthSizeMinusOne = 3).
  const samples = Array.from({ length: frames }, (_, i) =>
    lengthPrefixed(i === 0 ? idrPicture(width, height) : skipPicture(width, height, i)),
  );

  const ftyp = box("ftyp", fourCc("isom"), u32(0x200), fourCc("isom"), fourCc("iso2"), fourCc("avc1"), fourCc("mp41"));
  const track = { width, height, fps, frames, avc, sampleSizes: samples.map((s) => s.length) };
  // stco holds the absolute offset of the media data, which depends on the size of moov itself;
  // the offset field has a fixed width, so a first pass measures and the second fills it in.
  const draft = moov(track, 0);
  const dataOffset = ftyp.length + draft.length + 8;
  return Buffer.concat([ftyp, moov(track, dataOffset), box("mdat", ...samples)]);
}

interface Track {
  width: number;
  height: number;
  fps: number;
  frames: number;
  avc: AvcStream;
  sampleSizes: number[];
}

function moov(track: Track, dataOffset: number): Buffer {
  // Media timescale = fps, so every sample lasts exactly 1 tick.
  const movieDuration = Math.round((track.frames * MOVIE_TIMESCALE) / track.fps);
  // prettier-ignore
  const mvhd = fullBox(
    "mvhd", 0, 0,
    u32(0), u32(0), // creation and modification time
    u32(MOVIE_TIMESCALE), u32(movieDuration),
    u32(0x00010000), u16(0x0100), zeros(10), // rate 1.0, volume 1.0, reserved
    UNITY_MATRIX, zeros(24), // pre_defined
    u32(2), // next_track_ID
  );
  // prettier-ignore
  const tkhd = fullBox(
    "tkhd", 0, 0x000003, // enabled, in movie
    u32(0), u32(0), u32(1), zeros(4), u32(movieDuration), // times, track_ID 1, reserved, duration
    zeros(8), u16(0), u16(0), u16(0), zeros(2), // reserved, layer, alternate_group, volume 0 (video), reserved
    UNITY_MATRIX, u32(track.width * 0x10000), u32(track.height * 0x10000),
  );
  const mdhd = fullBox("mdhd", 0, 0, u32(0), u32(0), u32(track.fps), u32(track.frames), u16(LANGUAGE_UND), u16(0));
  const hdlr = fullBox("hdlr", 0, 0, u32(0), fourCc("vide"), zeros(12), Buffer.from("VideoHandler\0", "latin1"));
  const vmhd = fullBox("vmhd", 0, 1, u16(0), zeros(6)); // graphicsmode copy, opcolor
  const dinf = box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1))); // flag 1: data in this file
  const stbl = box(
    "stbl",
    fullBox("stsd", 0, 0, u32(1), avc1(track)),
    fullBox("stts", 0, 0, u32(1), u32(track.frames), u32(1)),
    fullBox("stss", 0, 0, u32(1), u32(1)), // only the first sample is a sync sample
    fullBox("stsc", 0, 0, u32(1), u32(1), u32(track.frames), u32(1)), // one chunk with every sample
    fullBox("stsz", 0, 0, u32(0), u32(track.frames), ...track.sampleSizes.map((size) => u32(size))),
    fullBox("stco", 0, 0, u32(1), u32(dataOffset)),
  );
  const trak = box("trak", tkhd, box("mdia", mdhd, hdlr, box("minf", vmhd, dinf, stbl)));
  return box("moov", mvhd, trak);
}

/** The visual sample entry, with the decoder configuration (SPS and PPS) in avcC. */
function avc1(track: Track): Buffer {
  const { avc } = track;
  // prettier-ignore
  const avcC = box(
    "avcC",
    u8(1), u8(avc.profile), u8(avc.compatibility), u8(avc.level),
    u8(0xff), // lengthSizeMinusOne = 3, reserved bits set
    u8(0xe1), u16(avc.sps.length), avc.sps, // one SPS
    u8(1), u16(avc.pps.length), avc.pps, // one PPS
  );
  const compressor = Buffer.alloc(32); // a Pascal string, empty
  // prettier-ignore
  return box(
    "avc1",
    zeros(6), u16(1), // reserved, data_reference_index
    zeros(16), // pre_defined and reserved
    u16(track.width), u16(track.height),
    u32(0x00480000), u32(0x00480000), // 72 dpi
    zeros(4), u16(1), compressor, // reserved, frame_count
    u16(0x0018), u16(0xffff), // depth, pre_defined -1
    avcC,
  );
}

function lengthPrefixed(nal: Buffer): Buffer {
  return Buffer.concat([u32(nal.length), nal]);
}
