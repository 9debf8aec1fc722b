import { ChatCompletion, FinishReason, UnusableOutputError } from "@switchyard/contracts";
import { UpstreamHttpError } from "./classify.js";

/** The finish reasons a client of the OpenAI API knows how to handle. */
export const KNOWN_FINISH_REASONS: readonly string[] = FinishReason.options;

function hasText(value: unknown): boolean {
  return typeof value === "string" && value.trim().length > 0;
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/**
 * Checks an upstream answer already mapped to the OpenAI shape before anyone sees it: at least
 * one choice, every choice with text, a refusal, tool calls or audio, and a finish reason from the
 * known set. Anything else is an `UnusableOutputError`, which the worker treats as a reason to
 * retry or fall back (an empty answer from one route is often fine from the next).
 *
 * `httpStatus` is the upstream's status, kept with the mapped answer in the error's `cause`.
 *
 * @example
 * const completion = validateCompletion(fromOpenAIResponse(json, fallback), 200);
 */
export function validateCompletion(candidate: unknown, httpStatus = 200): ChatCompletion {
  const unusable = (message: string, cause?: unknown): UnusableOutputError =>
    new UnusableOutputError(message, {
      cause: new UpstreamHttpError(httpStatus, JSON.stringify(candidate) ?? "", { cause }),
    });
  const choices = (candidate as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) {
    throw unusable("upstream returned no choices");
  }
  for (const choice of choices as Array<Record<string, unknown> | null>) {
    const finish = choice?.finish_reason;
    if (typeof finish !== "string" || !KNOWN_FINISH_REASONS.includes(finish)) {
      throw unusable(`upstream returned an unknown finish_reason${describe(finish)}`);
    }
    const message = choice?.message as Record<string, unknown> | undefined;
    const usable =
      hasText(message?.content) ||
      hasText(message?.refusal) ||
      hasItems(message?.tool_calls) ||
      message?.function_call != null ||
      // An audio answer (`modalities: ["text", "audio"]`) has its words in audio.transcript, content null.
      message?.audio != null;
    if (!usable) throw unusable("upstream returned empty output");
  }
  const parsed = ChatCompletion.safeParse(candidate);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") ?? "";
    throw unusable(`upstream returned a malformed completion${where ? ` at ${where}` : ""}`, parsed.error);
  }
  return parsed.data;
}

/**
 * A finish reason from the known set, or the `UnusableOutputError` `validateCompletion` throws
 * for it: streams check their finish reason as it arrives, not in a whole completion.
 *
 * @example
 * validateFinishReason(mapStopReason("end_turn")); // "stop"
 */
export function validateFinishReason(value: unknown, httpStatus = 200): FinishReason {
  const parsed = FinishReason.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new UnusableOutputError(`upstream returned an unknown finish_reason${describe(value)}`, {
    cause: new UpstreamHttpError(httpStatus, JSON.stringify(value) ?? ""),
  });
}

/** Names the offending value in the message only when it is short and plain. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return ` (${String(value)})`;
  return typeof value === "string" && /^[A-Za-z0-9_.-]{1,40}$/.test(value) ? ` '${value}'` : "";
}

/** The image formats an images answer may carry, by the magic bytes that open each file. */
const IMAGE_SIGNATURES: Record<string, (bytes: Uint8Array) => boolean> = {
  "image/png": (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  "image/jpeg": (b) => startsWith(b, [0xff, 0xd8, 0xff]),
  "image/webp": (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP",
};

/**
 * Checks that an image is what its content type says (PNG, JPEG or WEBP, by magic bytes) and
 * not empty: an upstream that sends an error page or a truncated file in place of an image
 * gets an `UnusableOutputError`, like an empty chat answer.
 *
 * @example
 * validateImageBytes(bytes, "image/png", 200); // throws unless bytes open with the PNG signature
 */
export function validateImageBytes(bytes: Uint8Array, contentType: string, httpStatus = 200): void {
  const matches = IMAGE_SIGNATURES[contentType];
  if (bytes.byteLength === 0) throw unusableMedia("upstream returned an empty image", httpStatus);
  if (!matches) throw unusableMedia(`upstream returned an image of unsupported type ${contentType}`, httpStatus);
  if (!matches(bytes)) throw unusableMedia(`upstream returned bytes that are not ${contentType}`, httpStatus);
}

/**
 * Checks that a video is an ISO-BMFF file (MP4, MOV): its first box is `ftyp`, whose type
 * sits at offset 4 after the 32-bit box size.
 *
 * @example
 * validateVideoBytes(bytes, 200); // throws unless bytes[4..8] is "ftyp"
 */
export function validateVideoBytes(bytes: Uint8Array, httpStatus = 200): void {
  if (bytes.byteLength < 8 || ascii(bytes, 4, 8) !== "ftyp") {
    throw unusableMedia("upstream returned a video that is not an MP4 file", httpStatus);
  }
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.byteLength >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return bytes.byteLength >= to ? String.fromCharCode(...bytes.subarray(from, to)) : "";
}

function unusableMedia(message: string, httpStatus: number): UnusableOutputError {
  return new UnusableOutputError(message, { cause: new UpstreamHttpError(httpStatus, "") });
}
