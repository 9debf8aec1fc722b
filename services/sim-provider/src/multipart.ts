/** One file part of a multipart/form-data body. */
export interface MultipartFile {
  /** The form field's name. */
  name: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** A parsed multipart/form-data body; a class so routes can tell it from a JSON body. */
export class MultipartForm {
  constructor(
    readonly fields: Record<string, string>,
    readonly files: MultipartFile[],
  ) {}
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const PARAM = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;

/** The boundary parameter of a `multipart/form-data; boundary=...` content type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const boundary = parameters(contentType).boundary;
  return boundary === undefined || boundary === "" || boundary.length > 70 ? undefined : boundary;
}

/**
 * Parses a multipart/form-data body (RFC 7578): text fields by name (a repeated name keeps the
 * last value) and file parts (those with a filename). Throws an Error saying what is malformed.
 * Enough for the few fields of `POST /v1/videos`, which the official clients send this way.
 *
 * @example
 * const form = parseMultipart(body, multipartBoundary(request.headers["content-type"])!);
 * form.fields.prompt;
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
  const delimiter = Buffer.from(`--${boundary}`);
  const partDelimiter = Buffer.concat([CRLF, delimiter]);
  const fields: Record<string, string> = {};
  const files: MultipartFile[] = [];

  // Whatever precedes the first delimiter is a preamble and is ignored.
  const first = body.indexOf(delimiter);
  if (first === -1) throw new Error("multipart body has no boundary line");
  let at = first + delimiter.length;
  for (;;) {
    if (body.subarray(at, at + 2).toString("latin1") === "--") break;
    const lineEnd = body.indexOf(CRLF, at);
    if (lineEnd === -1) throw new Error("multipart body ends inside a boundary line");
    const headersStart = lineEnd + 2;
    // A part without headers starts straight with the blank line.
    const headersEnd = body.subarray(headersStart, headersStart + 2).equals(CRLF)
      ? headersStart
      : body.indexOf(HEADER_END, headersStart);
    if (headersEnd === -1) throw new Error("multipart part has no end of headers");
    const contentStart = headersEnd === headersStart ? headersStart + 2 : headersEnd + 4;
    const contentEnd = body.indexOf(partDelimiter, contentStart);
    if (contentEnd === -1) throw new Error("multipart body has no closing boundary");

    const headers = partHeaders(body.subarray(headersStart, headersEnd).toString("utf8"));
    const disposition = headers["content-disposition"] ?? "";
    if (!/^form-data\s*(;|$)/i.test(disposition)) throw new Error("multipart part is not form-data");
    const params = parameters(disposition);
    if (params.name === undefined) throw new Error("multipart part has no name");
    const content = body.subarray(contentStart, contentEnd);
    if (params.filename !== undefined) {
      files.push({
        name: params.name,
        filename: params.filename,
        contentType: headers["content-type"] ?? "application/octet-stream",
        bytes: Buffer.from(content),
      });
    } else {
      fields[params.name] = content.toString("utf8");
    }
    at = contentEnd + partDelimiter.length;
  }
  return new MultipartForm(fields, files);
}

function partHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `; key=value; key="quoted \"value\""` parameters of a header, keys lower-cased. */
function parameters(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [, key = "", raw = ""] of header.matchAll(PARAM)) {
    const value = raw.trim();
    params[key.toLowerCase()] =
      value.startsWith('"') && value.endsWith('"') && value.length >= 2
        ? value.slice(1, -1).replace(/\\(.)/g, "$1")
        : value;
  }
  return params;
}
