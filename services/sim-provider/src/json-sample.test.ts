import { describe, expect, it } from "vitest";
import { sampleJson } from "./json-sample.js";

const weather = {
  type: "object",
  properties: {
    city: { type: "string" },
    celsius: { type: "number" },
    days: { type: "integer", minimum: 1, maximum: 7 },
    windy: { type: "boolean" },
    unit: { type: "string", enum: ["c", "f"] },
    when: { type: "string", format: "date-time" },
    note: { type: ["string", "null"] },
    tags: { type: "array", items: { type: "string" }, minItems: 2 },
    readings: { type: "array", items: { $ref: "#/$defs/reading" } },
  },
  required: ["city", "celsius", "days", "windy", "unit", "when", "note", "tags", "readings"],
  additionalProperties: false,
  $defs: {
    reading: {
      type: "object",
      properties: { kind: { const: "temp" }, at: { anyOf: [{ type: "null" }, { type: "string", format: "time" }] } },
      additionalProperties: false,
    },
  },
};

describe("sampleJson", () => {
  it("answers a document of the schema's shape: every property, typed, within bounds", () => {
    const value = sampleJson(weather, "seed") as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(weather.required);
    expect(value).toMatchObject({
      city: expect.any(String),
      celsius: expect.any(Number),
      windy: expect.any(Boolean),
      when: "2025-01-01T12:00:00Z",
      note: expect.any(String),
      readings: [{ kind: "temp", at: "12:00:00" }],
    });
    expect(Number.isInteger(value.days)).toBe(true);
    expect(value.days).toBeGreaterThanOrEqual(1);
    expect(value.days).toBeLessThanOrEqual(7);
    expect(["c", "f"]).toContain(value.unit);
    expect(value.tags).toHaveLength(2);
  });

  it("is deterministic per seed, and the seed changes values", () => {
    expect(sampleJson(weather, "seed")).toEqual(sampleJson(weather, "seed"));
    const many = new Set(["a", "b", "c", "d", "e"].map((seed) => JSON.stringify(sampleJson(weather, seed))));
    expect(many.size).toBeGreaterThan(1);
  });

  it("ends a recursive schema in null instead of looping, and answers null to what it cannot read", () => {
    const tree = {
      $defs: { node: { type: "object", properties: { child: { $ref: "#/$defs/node" } } } },
      $ref: "#/$defs/node",
    };
    expect(JSON.stringify(sampleJson(tree, "s"))).toMatch(/null/);
    expect(sampleJson({ $ref: "https://example.com/schema.json" }, "s")).toBeNull();
    expect(sampleJson({ type: "array", items: { type: "string" }, maxItems: 0 }, "s")).toEqual([]);
  });
});
