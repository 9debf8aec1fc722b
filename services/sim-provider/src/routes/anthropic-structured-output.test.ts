import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createSimApp } from "../app.js";
import { parseSse } from "../test-support/parse-sse.js";

let app: FastifyInstance;
beforeEach(() => {
  app = createSimApp();
});
afterEach(async () => {
  await app.close();
});

const messages = (payload: object) =>
  app.inject({ method: "POST", url: "/v1/messages", headers: { "x-api-key": "sk-ant-test" }, payload });

const schema = {
  type: "object",
  properties: {
    city: { type: "string" },
    celsius: { type: "number" },
    unit: { type: "string", enum: ["c", "f"] },
  },
  required: ["city", "celsius", "unit"],
  additionalProperties: false,
};
const request = {
  model: "claude-sonnet-4-5",
  max_tokens: 1024,
  messages: [{ role: "user", content: "Return exactly: not JSON" }],
  output_config: { format: { type: "json_schema", schema } },
};

const expectWeather = (text: string) => {
  const value = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(value)).toEqual(["city", "celsius", "unit"]);
  expect(value).toMatchObject({ city: expect.any(String), celsius: expect.any(Number) });
  expect(["c", "f"]).toContain(value.unit);
};

describe("POST /v1/messages with output_config.format", () => {
  it("answers a JSON document of the schema as the text block, end_turn", async () => {
    const res = await messages(request);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ content: [{ type: "text" }], stop_reason: "end_turn" });
    expectWeather(body.content[0].text);
    expect((await messages(request)).json().content).toEqual(body.content);
  });

  it("streams the same document as text_delta pieces", async () => {
    const plain = (await messages(request)).json().content[0].text as string;
    const events = parseSse((await messages({ ...request, stream: true })).body).map((e) => JSON.parse(e.data));
    const text = events
      .filter((e) => e.type === "content_block_delta")
      .map((e) => e.delta.text)
      .join("");
    expect(text).toBe(plain);
    expect(events.at(-2).delta.stop_reason).toBe("end_turn");
  });

  it.each([
    ["a format type it does not know", { format: { type: "json_object" } }, /output_config\.format\.type/],
    ["an unknown key", { format: { type: "json_schema", schema }, strict: true }, /output_config.*strict/],
    ["a format without a schema", { format: { type: "json_schema" } }, /output_config\.format\.schema/],
    [
      "an object without additionalProperties: false",
      { format: { type: "json_schema", schema: { type: "object", properties: { a: { type: "object" } } } } },
      /output_config\.format\.schema: For 'object' type.*output_config\.format\.schema\.properties\.a: For 'object'/,
    ],
  ])("refuses %s with Anthropic's 400", async (_name, outputConfig, message) => {
    const res = await messages({ ...request, output_config: outputConfig });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: expect.any(String) },
    });
    expect(res.json().error.message).toMatch(message);
  });

  it("refuses an OpenAI response_format, which is no Anthropic field", async () => {
    const res = await messages({ ...request, output_config: undefined, response_format: { type: "json_object" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe("response_format: Extra inputs are not permitted");
  });
});
