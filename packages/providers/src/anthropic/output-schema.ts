type Schema = Record<string, unknown>;

/**
 * String formats Anthropic's structured outputs accept (the list the official TypeScript SDK
 * keeps in `src/lib/transform-json-schema.ts`); any other format is moved into the description.
 */
const FORMATS = new Set(["date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"]);

const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const typesOf = (schema: Schema): unknown[] => (Array.isArray(schema.type) ? schema.type : [schema.type]);

function mapValues(value: unknown): Schema | undefined {
  if (!isSchema(value)) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, toAnthropicSchema(child)]));
}

/**
 * Rewrites an OpenAI `response_format` JSON Schema into one Anthropic's structured outputs
 * (`output_config.format`) accept, the way Anthropic's own SDKs do before sending one:
 * - every object gets `additionalProperties: false`, which Anthropic requires of all objects
 *   (its structured-outputs guide, "JSON Schema limitations");
 * - `oneOf` becomes `anyOf` (only `anyOf` and `allOf` are supported);
 * - constraints it does not support (`minimum`, `maximum`, `multipleOf`, `minLength`,
 *   `maxLength`, `pattern`, `maxItems`, `minItems` above 1, an unknown `format`, ...) are not
 *   dropped silently but written into the description, so the model still reads them;
 * - `$schema` is left out: it names a draft, it does not constrain the answer.
 * OpenAI strict schemas (zod's `zodResponseFormat` adds `minimum`/`maximum` to every integer)
 * would otherwise be refused with a 400.
 *
 * @example
 * toAnthropicSchema({ type: "object", properties: { n: { type: "integer", minimum: 1 } } });
 * // { type: "object", properties: { n: { type: "integer", description: "{minimum: 1}" } }, additionalProperties: false }
 */
export function toAnthropicSchema(input: unknown): unknown {
  if (!isSchema(input)) return input;
  const rest: Schema = { ...input };
  const take = (key: string): unknown => {
    const value = rest[key];
    delete rest[key];
    return value;
  };
  delete rest.$schema;
  const out: Schema = {};
  const ref = take("$ref");
  if (ref !== undefined) return { $ref: ref };

  for (const key of ["$defs", "definitions"]) {
    const defs = mapValues(take(key));
    if (defs) out[key] = defs;
  }
  const type = take("type");
  if (type !== undefined) out.type = type;
  // With both present, `oneOf` stays behind and ends up in the description.
  const anyOf = take("anyOf") ?? take("oneOf");
  if (Array.isArray(anyOf)) out.anyOf = anyOf.map(toAnthropicSchema);
  const allOf = take("allOf");
  if (Array.isArray(allOf)) out.allOf = allOf.map(toAnthropicSchema);
  for (const key of ["title", "description", "const", "enum"]) {
    const value = take(key);
    if (value !== undefined) out[key] = value;
  }

  const types = typesOf(out);
  if (types.includes("object") || isSchema(rest.properties)) {
    out.properties = mapValues(take("properties")) ?? {};
    const required = take("required");
    if (required !== undefined) out.required = required;
    // The client's own `additionalProperties` (true, or a schema) cannot be kept.
    take("additionalProperties");
    out.additionalProperties = false;
  }
  if (types.includes("array")) {
    const items = take("items");
    if (items !== undefined) out.items = toAnthropicSchema(items);
    if (rest.minItems === 0 || rest.minItems === 1) out.minItems = take("minItems");
  }
  if (types.includes("string") && typeof rest.format === "string" && FORMATS.has(rest.format)) {
    out.format = take("format");
  }

  const left = Object.entries(rest);
  if (left.length > 0) {
    const note = `{${left.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(", ")}}`;
    out.description = typeof out.description === "string" ? `${out.description}\n\n${note}` : note;
  }
  return out;
}
