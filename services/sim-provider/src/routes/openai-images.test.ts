import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "../app.js";
import { readPng } from "../test-support/png-chunks.js";

let app: FastifyInstance;
beforeEach(() => {
  app = createSimApp();
});
afterEach(async () => {
  await app.close();
});

const generate = (payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: "/v1/images/generations", payload, headers });

const pngOf = (b64: string) => readPng(Buffer.from(b64, "base64"));

describe("POST /v1/images/generations", () => {
  it("answers gpt-image-1's shape with real PNGs and deterministic usage", async () => {
    const res = await generate({ model: "gpt-image-1", prompt: "a lighthouse at dusk" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      created: expect.any(Number),
      data: [{ b64_json: expect.any(String), revised_prompt: "a lighthouse at dusk" }],
      background: "opaque",
      output_format: "png",
      quality: "high",
      size: "1024x1024",
      usage: {
        input_tokens: 5, // ceil(20 / 4)
        input_tokens_details: { text_tokens: 5, image_tokens: 0 },
        output_tokens: 4160,
        total_tokens: 4165,
      },
    });
    expect(pngOf(body.data[0].b64_json)).toMatchObject({ width: 64, height: 64 });
  });

  it("gives n different images, the same bytes for the same prompt every time", async () => {
    const payload = { model: "gpt-image-1", prompt: "a red bicycle", n: 3, quality: "medium", size: "1536x1024" };
    const first = (await generate(payload)).json();
    const second = (await generate(payload)).json();
    const images = first.data.map((d: { b64_json: string }) => d.b64_json);
    expect(images).toHaveLength(3);
    expect(new Set(images).size).toBe(3);
    expect(second.data.map((d: { b64_json: string }) => d.b64_json)).toEqual(images);
    for (const image of images) expect(pngOf(image)).toMatchObject({ width: 64, height: 43 });
    expect(first).toMatchObject({ quality: "medium", size: "1536x1024" });
    expect(first.usage.output_tokens).toBe(3 * 1584);
  });

  it("answers url results that the sim serves as PNGs", async () => {
    const res = await generate({ model: "dall-e-3", prompt: "a cat", response_format: "url", size: "1024x1792" });
    const item = res.json().data[0];
    expect(item).toEqual({
      url: expect.stringMatching(/^http:\/\/localhost:80\/_sim\/images\/img_\w+\.png$/),
      revised_prompt: "a cat",
    });
    const image = await app.inject({ method: "GET", url: new URL(item.url).pathname });
    expect(image.statusCode).toBe(200);
    expect(image.headers["content-type"]).toBe("image/png");
    expect(readPng(image.rawPayload)).toMatchObject({ width: 37, height: 64 });
    const b64 = (
      await generate({ model: "dall-e-3", prompt: "a cat", response_format: "b64_json", size: "1024x1792" })
    ).json();
    expect(Buffer.from(b64.data[0].b64_json, "base64").equals(image.rawPayload)).toBe(true);
    expect((await app.inject({ method: "GET", url: "/_sim/images/img_nope.png" })).statusCode).toBe(404);
  });

  it("always answers gpt-image models with b64_json; dall-e defaults to url", async () => {
    const gpt = (await generate({ model: "gpt-image-1", prompt: "x", response_format: "url" })).json();
    expect(Object.keys(gpt.data[0])).toEqual(["b64_json", "revised_prompt"]);
    const dalle = (await generate({ model: "dall-e-2", prompt: "x" })).json();
    expect(Object.keys(dalle.data[0])).toEqual(["url", "revised_prompt"]);
  });

  it("makes transparent RGBA images on request", async () => {
    const body = (await generate({ model: "gpt-image-1", prompt: "logo", background: "transparent" })).json();
    expect(body.background).toBe("transparent");
    expect(pngOf(body.data[0].b64_json).channels).toBe(4);
  });

  it("rejects invalid bodies with 400 in OpenAI's envelope", async () => {
    for (const payload of [
      { model: "gpt-image-1" },
      { prompt: "x", n: 11 },
      { prompt: "x", size: "big" },
      { prompt: "x", quality: "ultra" },
    ]) {
      const res = await generate(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: { message: expect.any(String), type: "invalid_request_error", param: null, code: null },
      });
    }
  });

  it("applies faults matched against the prompt, and counts the requests", async () => {
    await app.inject({ method: "POST", url: "/_sim/faults", payload: { match: "img-1", status: 429, retry_after: 2 } });
    await app.inject({ method: "POST", url: "/_sim/faults", payload: { match: "img-2", empty: true } });
    const limited = await generate({ model: "gpt-image-1", prompt: "a img-1 b" });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("2");
    expect(limited.json().error.code).toBe("rate_limit_exceeded");
    expect((await generate({ model: "gpt-image-1", prompt: "a img-1 b" })).statusCode).toBe(200);
    const empty = (await generate({ model: "gpt-image-1", prompt: "img-2", n: 2 })).json();
    expect(empty.data).toEqual([]);
    expect(empty.usage.output_tokens).toBe(0);
    const cut = await generate({ model: "gpt-image-1", prompt: "x" }, { "x-sim-fault": "truncate_after=50" });
    expect(cut.body).toHaveLength(50);
    expect((await app.inject({ method: "GET", url: "/_sim/requests?match=img-1" })).json().count).toBe(2);
  });

  it("requires the key when SIM_REQUIRE_KEY is set", async () => {
    const keyed = createSimApp({ requireKey: "sk-sim" });
    try {
      const payload = { model: "gpt-image-1", prompt: "x" };
      const url = "/v1/images/generations";
      const missing = await keyed.inject({ method: "POST", url, payload });
      expect(missing.statusCode).toBe(401);
      expect(missing.json().error.code).toBe("invalid_api_key");
      const right = await keyed.inject({ method: "POST", url, payload, headers: { authorization: "Bearer sk-sim" } });
      expect(right.statusCode).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});
