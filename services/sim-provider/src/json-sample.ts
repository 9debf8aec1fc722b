import { createHash } from "node:crypto";

type Schema = Record<string, unknown>;

const WORDS = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris", "juniper"];
/** Values for the string formats structured outputs accept, so a client's format check passes. */
const FORMATTED: Record<string, string> = {
  "date-time": "2025-01-01T12:00:00Z",
  date: "2025-01-01",
  time: "12:00:00",
  duration: "P1D",
  email: "sim@example.com",
  hostname: "example.com",
  uri: "https://example.com/",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  uuid: "00000000-0000-4000-8000-000000000000",
};
/** `$ref` chains deeper than this (a recursive schema) end in null rather than looping. */
const MAX_DEPTH = 16;

const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A JSON value that satisfies `schema`, as a model under structured outputs would answer:
 * objects with every property, arrays of `minItems` items (at least one, at most `maxItems`),
 * enum members, consts, strings, numbers and booleans picked by a hash of `seed` and the
 * value's path, so the same request gets the same document and sibling values differ.
 * Handles `type` (also as a list), `properties`, `items`, `enum`, `const`, `anyOf`/`oneOf`
 * (the first variant that is not null), `allOf` (merged), local `$ref`s into `$defs` or
 * `definitions`, `minimum`/`maximum` and string `format`s; other keywords are ignored.
 *
 * @example
 * sampleJson({ type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] }, "seed");
 * // { ok: true } or { ok: false }, the same for the same seed
 */
export function sampleJson(schema: unknown, seed: string): unknown {
  const pick = (path: string, modulo: number): number =>
    createHash("sha256").update(`${seed}\u0000${path}`).digest().readUInt32BE(0) % modulo;

  const resolve = (ref: unknown): unknown => {
    if (typeof ref !== "string" || !ref.startsWith("#/")) return undefined;
    let node: unknown = schema;
    for (const part of ref.slice(2).split("/")) node = isSchema(node) ? node[part] : undefined;
    return node;
  };

  const sample = (node: unknown, path: string, depth: number): unknown => {
    if (!isSchema(node) || depth > MAX_DEPTH) return null;
    if (node.$ref !== undefined) return sample(resolve(node.$ref), path, depth + 1);
    if (node.const !== undefined) return node.const;
    if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[pick(path, node.enum.length)];
    const variants = node.anyOf ?? node.oneOf;
    if (Array.isArray(variants) && variants.length > 0) {
      const chosen = variants.find((v) => !(isSchema(v) && v.type === "null")) ?? variants[0];
      return sample(chosen, path, depth + 1);
    }
    if (Array.isArray(node.allOf)) {
      const merged = node.allOf.filter(isSchema).reduce<Schema>(
        (acc, part) => ({
          ...acc,
          ...part,
          properties: { ...(acc.properties as Schema | undefined), ...(part.properties as Schema | undefined) },
        }),
        {},
      );
      return sample(merged, path, depth + 1);
    }

    const types = Array.isArray(node.type) ? node.type : [node.type];
    const type =
      types.find((t) => t !== "null" && t !== undefined) ??
      (isSchema(node.properties) ? "object" : node.items !== undefined ? "array" : types[0]);
    switch (type) {
      case "object": {
        const properties = isSchema(node.properties) ? node.properties : {};
        return Object.fromEntries(
          Object.entries(properties).map(([key, child]) => [key, sample(child, `${path}.${key}`, depth + 1)]),
        );
      }
      case "array": {
        const min = typeof node.minItems === "number" ? node.minItems : 0;
        const max = typeof node.maxItems === "number" ? node.maxItems : Infinity;
        const count = Math.min(Math.max(min, 1), max);
        return Array.from({ length: count }, (_, i) => sample(node.items, `${path}[${i}]`, depth + 1));
      }
      case "string": {
        const formatted = typeof node.format === "string" ? FORMATTED[node.format] : undefined;
        return formatted ?? WORDS[pick(path, WORDS.length)];
      }
      case "integer":
      case "number": {
        const value = type === "integer" ? pick(path, 100) : pick(path, 1000) / 10;
        const low = typeof node.minimum === "number" ? node.minimum : -Infinity;
        const high = typeof node.maximum === "number" ? node.maximum : Infinity;
        return Math.min(Math.max(value, low), high);
      }
      case "boolean":
        return pick(path, 2) === 0;
      default:
        return null;
    }
  };

  return sample(schema, "$", 0);
}
