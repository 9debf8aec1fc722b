import type { FastifyRequest } from "fastify";
import type { FastifyMultipartBaseOptions } from "@fastify/multipart";
import { BrokerError, InvalidRequestError } from "@switchyard/contracts";
import { watchMultipartEnd } from "./multipart-end.js";

export interface UploadedImage {
  readonly data: Buffer;
  readonly contentType: string;
}

export interface VideoForm {
  /** The text fields, as the JSON body would carry them (every value a string). */
  readonly fields: Record<string, string>;
  readonly inputReference: UploadedImage | undefined;
}

const FILE_FIELD = "input_reference";
const MAX_FIELD_BYTES = 256 * 1024;
const MAX_FIELDS = 16;

const PNG_SIGNATURE = Buffer.from("89504e470d0a1a0a", "hex");

/**
 * The type of a PNG, JPEG or WebP image (the reference images the Videos API takes) from its
 * first bytes, which decide rather than the declared type: the official Node client sends a
 * file stream (`fs.createReadStream`, as OpenAI's guide does) or an untyped `toFile` as
 * application/octet-stream, and a declared `image/png` may hold anything.
 */
function sniffImageType(data: Buffer): string | undefined {
  if (data.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return "image/png";
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (data.toString("latin1", 0, 4) === "RIFF" && data.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return undefined;
}

/** Limits for `@fastify/multipart`: one file, a few short fields; the rest is refused while parsing. */
export function videoFormLimits(maxFileBytes: number): FastifyMultipartBaseOptions["limits"] {
  return { fileSize: maxFileBytes, files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_FIELDS + 1 };
}

/**
 * Reads `POST /v1/videos` sent as multipart/form-data, as the OpenAI SDK sends it: text fields
 * plus an optional `input_reference` image, held in memory (it is bounded by `maxFileBytes`)
 * because it goes to the object store whole.
 */
export async function readVideoForm(request: FastifyRequest, maxFileBytes: number): Promise<VideoForm> {
  const fields: Record<string, string> = {};
  let inputReference: UploadedImage | undefined;
  const end = watchMultipartEnd(request.raw, request.headers["content-type"]);
  try {
    for await (const part of request.parts()) {
      if (part.type === "field") {
        if (part.valueTruncated || typeof part.value !== "string") {
          throw new InvalidRequestError(`The field '${part.fieldname}' is too long.`, {
            param: part.fieldname,
            code: "invalid_value",
          });
        }
        // `input_reference[image_url]` and the like: only an uploaded file may be the reference.
        if (part.fieldname.startsWith(FILE_FIELD)) {
          throw new InvalidRequestError(`Send ${FILE_FIELD} as an image file, not as the field '${part.fieldname}'.`, {
            param: part.fieldname,
            code: "unsupported_parameter",
          });
        }
        if (part.fieldname in fields) {
          throw new InvalidRequestError(`The field '${part.fieldname}' is repeated.`, {
            param: part.fieldname,
            code: "invalid_value",
          });
        }
        fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== FILE_FIELD) {
        throw new InvalidRequestError(`Unexpected file field '${part.fieldname}'; only ${FILE_FIELD} takes a file.`, {
          param: part.fieldname,
          code: "unsupported_parameter",
        });
      }
      const data = await part.toBuffer();
      // The bytes decide, whatever the part declares: a PDF sent as image/png would otherwise
      // reach the upstream (and be billed or refused there).
      const contentType = sniffImageType(data);
      if (contentType === undefined) {
        throw new InvalidRequestError(`${FILE_FIELD} must be a PNG, JPEG or WebP image (got ${part.mimetype}).`, {
          param: FILE_FIELD,
          code: "invalid_file_type",
        });
      }
      inputReference = { data, contentType };
    }
    // A body cut off before its close delimiter: the parts read so far end there without an
    // error, and the last field, begun but unfinished, is not among them.
    if (!end.ended) throw unparsable();
  } catch (error) {
    if ((error as { code?: unknown }).code === "FST_REQ_FILE_TOO_LARGE") {
      throw new BrokerError(`${FILE_FIELD} must be at most ${Math.floor(maxFileBytes / (1024 * 1024))} MB.`, {
        status: 413,
        code: "file_too_large",
        param: FILE_FIELD,
        cause: error,
      });
    }
    // @fastify/multipart's own refusals (limits, field names) carry an FST_ code the error handler
    // renders; anything else is the body itself failing to parse: no usable boundary, a part cut short.
    if (error instanceof BrokerError || String((error as { code?: unknown }).code).startsWith("FST_")) throw error;
    throw unparsable();
  } finally {
    end.stop();
  }
  return { fields, inputReference };
}

function unparsable(): InvalidRequestError {
  return new InvalidRequestError("The multipart/form-data body could not be parsed.", { code: "invalid_multipart" });
}
