import { describe, expect, it } from "vitest";
import { toAnthropicSchema } from "./output-schema.js";

describe("toAnthropicSchema", () => {
  it("closes every object with additionalProperties: false, as Anthropic requires", () => {
    expect(
      toAnthropicSchema({
        type: "object",
        properties: {
          inner: { type: "object", properties: { a: { type: "string" } }, additionalProperties: true },
          list: { type: "array", items: { type: "object", properties: {} } },
        },
        required: ["inner"],
      }),
    ).toEqual({
      type: "object",
      properties: {
        inner: { type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
        list: { type: "array", items: { type: "object", properties: {}, additionalProperties: false } },
      },
      required: ["inner"],
      additionalProperties: false,
    });
  });

  it("moves constraints Anthropic refuses into the description instead of dropping them", () => {
    expect(
      toAnthropicSchema({
        type: "object",
        properties: {
          n: { type: "integer", description: "A count.", minimum: -9007199254740991, maximum: 9007199254740991 },
          code: { type: "string", pattern: "^[A-Z]+$", maxLength: 8, format: "iso-code" },
          when: { type: "string", format: "date-time" },
          tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 },
        },
      }),
    ).toEqual({
      type: "object",
      properties: {
        n: {
          type: "integer",
          description: "A count.\n\n{minimum: -9007199254740991, maximum: 9007199254740991}",
        },
        code: { type: "string", description: '{pattern: "^[A-Z]+$", maxLength: 8, format: "iso-code"}' },
        when: { type: "string", format: "date-time" },
        tags: { type: "array", items: { type: "string" }, minItems: 1, description: "{maxItems: 3}" },
      },
      additionalProperties: false,
    });
  });

  it("keeps nullable types, enums, consts and local references, turns oneOf into anyOf and drops $schema", () => {
    expect(
      toAnthropicSchema({
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: {
          note: { type: ["string", "null"] },
          unit: { type: "string", enum: ["c", "f"] },
          kind: { const: "reading" },
          shape: { oneOf: [{ $ref: "#/$defs/point" }, { type: "null" }] },
        },
        $defs: { point: { type: "object", properties: { x: { type: "number", multipleOf: 0.5 } } } },
      }),
    ).toEqual({
      $defs: {
        point: {
          type: "object",
          properties: { x: { type: "number", description: "{multipleOf: 0.5}" } },
          additionalProperties: false,
        },
      },
      type: "object",
      properties: {
        note: { type: ["string", "null"] },
        unit: { type: "string", enum: ["c", "f"] },
        kind: { const: "reading" },
        shape: { anyOf: [{ $ref: "#/$defs/point" }, { type: "null" }] },
      },
      additionalProperties: false,
    });
  });
});
