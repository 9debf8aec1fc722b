import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";
import { startStack, type Stack } from "./support/stack.js";

// Structured output on a Claude route end to end: the official openai client's response_format
// → ingress → the Anthropic worker, which sends output_config.format → the simulated Anthropic
// API, which answers a JSON document of the schema (and refuses a schema Anthropic would refuse,
// such as an object without additionalProperties: false) → message.content.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ families: ["anthropic"] });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

// As a client writes it for OpenAI: not every object closed (the sim, like Anthropic, refuses an
// open object, so this also shows the broker rewrites the schema) and an integer with bounds,
// which Anthropic cannot enforce: the broker passes them on in the description only, so they are
// not asserted here.
const weatherFormat = {
  type: "json_schema" as const,
  json_schema: {
    name: "weather",
    strict: true,
    schema: {
      type: "object",
      properties: {
        city: { type: "string" },
        celsius: { type: "number" },
        days: { type: "integer", minimum: 1, maximum: 7 },
        unit: { type: "string", enum: ["c", "f"] },
        wind: { type: "object", properties: { kmh: { type: "number" } }, required: ["kmh"] },
      },
      required: ["city", "celsius", "days", "unit", "wind"],
      additionalProperties: false,
    },
  },
};
const Weather = z.object({
  city: z.string(),
  celsius: z.number(),
  days: z.number().int(),
  unit: z.enum(["c", "f"]),
  wind: z.object({ kmh: z.number() }),
});
const messages = [{ role: "user" as const, content: "What is the weather in Oslo?" }];

describe("response_format on claude-sonnet-4-5", () => {
  it("json_schema: the answer is a JSON document of the schema in message.content, finish stop", async () => {
    const completion = await stack.openai.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages,
      response_format: weatherFormat,
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(typeof choice.message.content).toBe("string");
    expect(Weather.strict().parse(JSON.parse(choice.message.content!))).toBeTruthy();
  });

  it("json_schema streamed: the content deltas join into the same document, finish stop", async () => {
    const stream = await stack.openai.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages,
      response_format: weatherFormat,
      stream: true,
    });
    let content = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("stop");
    expect(Weather.strict().parse(JSON.parse(content))).toBeTruthy();
  });

  it("chat.completions.parse with zodResponseFormat gives the parsed object", async () => {
    const Forecast = z.object({
      city: z.string(),
      highs: z.array(z.number().int()),
      note: z.string().nullable(),
      kind: z.enum(["sunny", "rainy"]),
    });
    const completion = await stack.openai.chat.completions.parse({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "Forecast for Bergen" }],
      response_format: zodResponseFormat(Forecast, "forecast"),
    });
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(message.parsed).not.toBeNull();
    expect(Forecast.parse(message.parsed)).toEqual(message.parsed);
  });

  it("a malformed response_format is a 400 naming the field, before any upstream call", async () => {
    const error = await stack.openai.chat.completions
      .create({
        model: "claude-sonnet-4-5",
        messages,
        response_format: { type: "json_schema", json_schema: { name: "has spaces", schema: {} } },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: "response_format.json_schema.name" });
  });
});
