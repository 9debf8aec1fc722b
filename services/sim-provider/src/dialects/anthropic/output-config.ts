import { z } from "zod";

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Paths (below the schema) of objects that do not set `additionalProperties: false`. */
function openObjects(node: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(node)) return node.flatMap((child, i) => openObjects(child, [...path, i]));
  if (!isSchema(node)) return [];
  const types = Array.isArray(node.type) ? node.type : [node.type];
  const here = types.includes("object") && node.additionalProperties !== false ? [path] : [];
  // Walks every subschema keyword; `properties`/`$defs` values are keyed by name, so recurse as maps.
  const nested = Object.entries(node).flatMap(([key, value]) =>
    key === "enum" || key === "const" ? [] : openObjects(value, [...path, key]),
  );
  return [...here, ...nested];
}

/**
 * Anthropic's `output_config` (structured outputs, GA): `format` is the only format type there
 * is, `{ type: "json_schema", schema }`, and Anthropic requires `additionalProperties: false` on
 * every object of the schema. Unknown keys are refused, as the real API refuses them.
 */
export const OutputConfig = z.strictObject({
  format: z
    .strictObject({
      type: z.literal("json_schema"),
      schema: z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
        for (const path of openObjects(schema)) {
          ctx.addIssue({
            code: "custom",
            path,
            message: "For 'object' type, 'additionalProperties' must be explicitly set to false",
          });
        }
      }),
    })
    .optional(),
  effort: z.string().optional(),
});
