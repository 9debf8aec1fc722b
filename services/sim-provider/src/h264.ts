import { BitWriter, nalUnit } from "./bit-writer.js";

/**
 * A tiny but decodable Constrained Baseline H.264 stream: one IDR picture whose macroblocks are
 * all Intra 16x16 DC-predicted with no residual (a flat grey picture, one byte per macroblock),
 * then P pictures whose macroblocks are all skipped (a few bytes each). Real video is beside
 * the point; a file that players and probes accept is not.
 */
export interface AvcStream {
  sps: Buffer;
  pps: Buffer;
  /** profile_idc, constraint flags and level_idc, which avcC repeats. */
  profile: number;
  compatibility: number;
  level: number;
}

const PROFILE_BASELINE = 66;
/** constraint_set0 and constraint_set1: Constrained Baseline. */
const CONSTRAINTS = 0xc0;
/** frame_num is 4 bits wide (log2_max_frame_num_minus4 = 0). */
const FRAME_NUM_BITS = 4;

export function macroblocks(width: number, height: number): { across: number; down: number } {
  return { across: Math.ceil(width / 16), down: Math.ceil(height / 16) };
}

/** The smallest level whose frame size (in macroblocks) fits the picture. */
function levelFor(mbs: number): number {
  if (mbs <= 396) return 21;
  if (mbs <= 1620) return 30;
  if (mbs <= 3600) return 31;
  if (mbs <= 8192) return 40;
  return 51;
}

export function avcStream(width: number, height: number): AvcStream {
  const { across, down } = macroblocks(width, height);
  const level = levelFor(across * down);
  const sps = new BitWriter()
    .bits(PROFILE_BASELINE, 8)
    .bits(CONSTRAINTS, 8)
    .bits(level, 8)
    .ue(0) // seq_parameter_set_id
    .ue(FRAME_NUM_BITS - 4) // log2_max_frame_num_minus4
    .ue(2) // pic_order_cnt_type 2: output order is decoding order
    .ue(1) // max_num_ref_frames
    .bit(0) // gaps_in_frame_num_value_allowed_flag
    .ue(across - 1)
    .ue(down - 1)
    .bit(1) // frame_mbs_only_flag
    .bit(1); // direct_8x8_inference_flag
  // Sizes that are not whole macroblocks are coded padded and cropped, in 2-pixel units (4:2:0).
  const cropRight = (across * 16 - width) / 2;
  const cropBottom = (down * 16 - height) / 2;
  if (cropRight > 0 || cropBottom > 0) sps.bit(1).ue(0).ue(cropRight).ue(0).ue(cropBottom);
  else sps.bit(0);
  sps.bit(0); // vui_parameters_present_flag

  const pps = new BitWriter()
    .ue(0) // pic_parameter_set_id
    .ue(0) // seq_parameter_set_id
    .bit(0) // entropy_coding_mode_flag: CAVLC
    .bit(0) // bottom_field_pic_order_in_frame_present_flag
    .ue(0) // num_slice_groups_minus1
    .ue(0) // num_ref_idx_l0_default_active_minus1
    .ue(0) // num_ref_idx_l1_default_active_minus1
    .bit(0) // weighted_pred_flag
    .bits(0, 2) // weighted_bipred_idc
    .se(0) // pic_init_qp_minus26
    .se(0) // pic_init_qs_minus26
    .se(0) // chroma_qp_index_offset
    .bit(1) // deblocking_filter_control_present_flag
    .bit(0) // constrained_intra_pred_flag
    .bit(0); // redundant_pic_cnt_present_flag

  return {
    sps: nalUnit(3, 7, sps.trailing()),
    pps: nalUnit(3, 8, pps.trailing()),
    profile: PROFILE_BASELINE,
    compatibility: CONSTRAINTS,
    level,
  };
}

/** The IDR picture: every macroblock I_16x16, DC prediction, no coded coefficients. */
export function idrPicture(width: number, height: number): Buffer {
  const { across, down } = macroblocks(width, height);
  const slice = new BitWriter()
    .ue(0) // first_mb_in_slice
    .ue(7) // slice_type: I (all slices of the picture)
    .ue(0) // pic_parameter_set_id
    .bits(0, FRAME_NUM_BITS) // frame_num
    .ue(0) // idr_pic_id
    .bit(0) // no_output_of_prior_pics_flag
    .bit(0) // long_term_reference_flag
    .se(0) // slice_qp_delta
    .ue(1); // disable_deblocking_filter_idc: off
  for (let i = 0; i < across * down; i++) {
    slice
      .ue(3) // mb_type I_16x16_2_0_0: DC prediction, no chroma or luma AC coefficients
      .ue(0) // intra_chroma_pred_mode: DC
      .se(0) // mb_qp_delta
      .bit(1); // Intra16x16 DC coeff_token: TotalCoeff 0 (nC 0, every neighbour is empty)
  }
  return nalUnit(3, 5, slice.trailing());
}

/** A P picture that repeats the previous one: every macroblock skipped. */
export function skipPicture(width: number, height: number, frameNum: number): Buffer {
  const { across, down } = macroblocks(width, height);
  const slice = new BitWriter()
    .ue(0) // first_mb_in_slice
    .ue(5) // slice_type: P (all slices of the picture)
    .ue(0) // pic_parameter_set_id
    .bits(frameNum % (1 << FRAME_NUM_BITS), FRAME_NUM_BITS)
    .bit(0) // num_ref_idx_active_override_flag
    .bit(0) // ref_pic_list_modification_flag_l0
    .bit(0) // adaptive_ref_pic_marking_mode_flag: sliding window
    .se(0) // slice_qp_delta
    .ue(1) // disable_deblocking_filter_idc
    .ue(across * down); // mb_skip_run: the whole picture
  // Reference pictures (nal_ref_idc 2): pic_order_cnt_type 2 forbids two non-reference pictures in a row.
  return nalUnit(2, 1, slice.trailing());
}
