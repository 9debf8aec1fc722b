import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { watchMultipartEnd } from "./multipart-end.js";

/** Feeds the chunks through a stream as a request body would arrive, and says what the watch saw. */
async function endedAfter(contentType: string | undefined, chunks: string[]): Promise<boolean> {
  const body = new PassThrough();
  const watch = watchMultipartEnd(body, contentType);
  body.resume();
  for (const chunk of chunks) body.write(Buffer.from(chunk));
  body.end();
  await new Promise((resolve) => body.once("end", resolve));
  watch.stop();
  return watch.ended;
}

const field = '--XX\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nx';

describe("watchMultipartEnd", () => {
  it("sees the close delimiter in one chunk, across a seam, or split byte by byte", async () => {
    const whole = `${field}\r\n--XX--\r\n`;
    expect(await endedAfter("multipart/form-data; boundary=XX", [whole])).toBe(true);
    expect(await endedAfter("multipart/form-data; boundary=XX", [`${field}\r\n--X`, "X--"])).toBe(true);
    expect(await endedAfter("multipart/form-data; boundary=XX", [...whole])).toBe(true);
    // An epilogue after the delimiter is allowed (RFC 2046).
    expect(await endedAfter("multipart/form-data; boundary=XX", [`${field}\r\n--XX--\r\nepilogue`])).toBe(true);
  });

  it("reads quoted boundaries and other parameters", async () => {
    const body = `${field.replaceAll("XX", "a b")}\r\n--a b--`;
    expect(await endedAfter('multipart/form-data; charset=utf-8; BOUNDARY="a b"', [body])).toBe(true);
  });

  it("takes an empty form that is only the close delimiter as whole", async () => {
    expect(await endedAfter("multipart/form-data; boundary=XX", ["--XX--\r\n"])).toBe(true);
  });

  it("does not end on a body cut off inside its last part, or on a delimiter that is not a close", async () => {
    expect(await endedAfter("multipart/form-data; boundary=XX", [field])).toBe(false);
    expect(await endedAfter("multipart/form-data; boundary=XX", [`${field}\r\n--XX\r\n`])).toBe(false);
    // Without the CRLF before it, `--XX--` is part content, not a delimiter.
    expect(await endedAfter("multipart/form-data; boundary=XX", [`${field}--XX--`])).toBe(false);
  });

  it("leaves a content type without a boundary to the parser", async () => {
    expect(await endedAfter("multipart/form-data", [field])).toBe(true);
    expect(await endedAfter(undefined, [field])).toBe(true);
  });
});
