import { describe, expect, it } from "vitest";
import { multipartBoundary, MultipartForm, parseMultipart } from "./multipart.js";

/** A body exactly as undici (and so the official openai client on Node) encodes a FormData. */
async function encode(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const response = new Response(form);
  return { body: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get("content-type") ?? "" };
}

describe("parseMultipart", () => {
  it("reads the text fields and the file part of a real FormData body", async () => {
    // Bytes a text parser would trip on: CR LF, dashes and a NUL inside the file.
    const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff, 0x0d, 0x0a]);
    const form = new FormData();
    form.set("model", "sora-2");
    form.set("prompt", "a fox\r\nin the snow — über");
    form.set("seconds", "8");
    form.set("input_reference", new Blob([image], { type: "image/png" }), "ref.png");
    const { body, contentType } = await encode(form);

    const parsed = parseMultipart(body, multipartBoundary(contentType)!);
    expect(parsed).toBeInstanceOf(MultipartForm);
    expect(parsed.fields).toEqual({ model: "sora-2", prompt: "a fox\r\nin the snow — über", seconds: "8" });
    expect(parsed.files).toHaveLength(1);
    expect(parsed.files[0]).toMatchObject({ name: "input_reference", filename: "ref.png", contentType: "image/png" });
    expect(parsed.files[0]!.bytes.equals(image)).toBe(true);
  });

  it("handles a quoted boundary, a preamble and an epilogue", () => {
    const body = Buffer.from(
      'preamble\r\n--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n' +
        "--b\r\ncontent-disposition: form-data; name=b\r\n\r\n\r\n--b--\r\nepilogue",
    );
    expect(parseMultipart(body, multipartBoundary('multipart/form-data; boundary="b"')!).fields).toEqual({
      a: "1",
      b: "",
    });
  });

  it("finds the boundary only in multipart/form-data", () => {
    expect(multipartBoundary("multipart/form-data; boundary=----x1")).toBe("----x1");
    expect(multipartBoundary('Multipart/Form-Data;boundary="q q"')).toBe("q q");
    expect(multipartBoundary("multipart/form-data")).toBeUndefined();
    expect(multipartBoundary("application/json; boundary=x")).toBeUndefined();
    expect(multipartBoundary(undefined)).toBeUndefined();
  });

  it("throws on malformed bodies", () => {
    expect(() => parseMultipart(Buffer.from("no boundary here"), "b")).toThrow(/boundary/);
    expect(() =>
      parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated'), "b"),
    ).toThrow(/closing boundary/);
    expect(() => parseMultipart(Buffer.from("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"), "b")).toThrow(
      /form-data/,
    );
    expect(() => parseMultipart(Buffer.from("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--"), "b")).toThrow(
      /name/,
    );
  });
});
