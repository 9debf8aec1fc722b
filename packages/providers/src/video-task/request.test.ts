import { describe, expect, it } from "vitest";
import { toVideoMultipart, toVideoRequest } from "./request.js";

describe("toVideoRequest", () => {
  it("keeps the client's fields, seconds as a string, with the route's model", () => {
    expect(toVideoRequest({ prompt: "a fox", model: "public", size: "1280x720", seconds: "8" }, "sora-2")).toEqual({
      prompt: "a fox",
      model: "sora-2",
      size: "1280x720",
      seconds: "8",
    });
  });
});

describe("toVideoMultipart", () => {
  it("encodes every field as a text part and the reference as the input_reference file", () => {
    const image = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const { contentType, body } = toVideoMultipart(
      { prompt: "a fox", model: "sora-2", seconds: "4", extra: { a: 1 }, skipped: undefined },
      { bytes: image, contentType: "image/png", filename: 'ref"1.png' },
      "BOUNDARY",
    );
    expect(contentType).toBe("multipart/form-data; boundary=BOUNDARY");
    const expected = Buffer.concat([
      Buffer.from(
        [
          "--BOUNDARY",
          'Content-Disposition: form-data; name="prompt"',
          "",
          "a fox",
          "--BOUNDARY",
          'Content-Disposition: form-data; name="model"',
          "",
          "sora-2",
          "--BOUNDARY",
          'Content-Disposition: form-data; name="seconds"',
          "",
          "4",
          "--BOUNDARY",
          'Content-Disposition: form-data; name="extra"',
          "",
          '{"a":1}',
          "--BOUNDARY",
          'Content-Disposition: form-data; name="input_reference"; filename="ref%221.png"',
          "Content-Type: image/png",
          "",
          "",
        ].join("\r\n"),
      ),
      Buffer.from(image),
      Buffer.from("\r\n--BOUNDARY--\r\n"),
    ]);
    expect(body.equals(expected)).toBe(true);
  });

  it("picks a fresh boundary each time", () => {
    const file = { bytes: new Uint8Array([1]), contentType: "image/png", filename: "a.png" };
    expect(toVideoMultipart({}, file).contentType).not.toBe(toVideoMultipart({}, file).contentType);
  });
});
