import { randomUUID } from "node:crypto";
import type { VideoCreateRequest } from "@switchyard/contracts";
import type { VideoCreateOptions } from "../types.js";

/**
 * The JSON body for `POST /videos`: the client's fields (prompt, size, seconds as a string, and
 * any field we do not know) with the route's model.
 *
 * @example
 * toVideoRequest({ prompt: "a fox", seconds: "8" }, "sora-2"); // { prompt: "a fox", seconds: "8", model: "sora-2" }
 */
export function toVideoRequest(request: VideoCreateRequest, upstreamModel: string): Record<string, unknown> {
  return { ...request, model: upstreamModel };
}

export interface MultipartBody {
  /** `multipart/form-data; boundary=...` */
  contentType: string;
  body: Buffer;
}

/**
 * The same fields as multipart/form-data with the reference image as the `input_reference`
 * file part, which is how the Videos API takes an image (it has no JSON form for one). Every
 * field becomes a text part: strings as they are, other values as JSON.
 *
 * @example
 * const { contentType, body } = toVideoMultipart(toVideoRequest(request, "sora-2"), reference);
 */
export function toVideoMultipart(
  fields: Record<string, unknown>,
  file: NonNullable<VideoCreateOptions["inputReference"]>,
  boundary = `switchyard-${randomUUID()}`,
): MultipartBody {
  const parts: Buffer[] = [];
  const open = (disposition: string, contentType?: string) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; ${disposition}\r\n` +
        (contentType ? `Content-Type: ${contentType}\r\n` : "") +
        "\r\n",
    );
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    parts.push(
      open(`name="${escapeName(name)}"`),
      Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
      CRLF,
    );
  }
  parts.push(
    open(`name="input_reference"; filename="${escapeName(file.filename)}"`, file.contentType.replace(/[\r\n]/g, "")),
    Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength),
    CRLF,
    Buffer.from(`--${boundary}--\r\n`),
  );
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}

const CRLF = Buffer.from("\r\n");

/** Field names and filenames escaped as the HTML spec's multipart/form-data encoding does. */
function escapeName(name: string): string {
  return name.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
}
