import type { z } from "zod";
import { InvalidRequestError } from "@switchyard/contracts";

/** `["messages", 0, "role"]` -> `messages[0].role`, the way OpenAI names a field in `param`. */
export function formatPath(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? null : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** The first problem zod found, as a 400 whose `param` names the field. */
export function toInvalidRequest(error: z.ZodError, input: unknown): InvalidRequestError {
  const issue = error.issues[0];
  if (!issue) return new InvalidRequestError("The request body is invalid.");
  const param = formatPath(issue.path);
  if (param === null) return new InvalidRequestError(`The request body is invalid: ${issue.message}`);
  if (valueAt(input, issue.path) === undefined) {
    return new InvalidRequestError(`Missing required parameter: '${param}'.`, {
      param,
      code: "missing_required_parameter",
    });
  }
  return new InvalidRequestError(`Invalid value for '${param}': ${issue.message}`, { param, code: "invalid_value" });
}

/**
 * How deeply a request body may nest (serde_json's default). No OpenAI request comes near it,
 * and a body thousands of levels deep overflows the stack where the job is encoded for NATS.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether `value` nests objects or arrays deeper than `max`; iterative, so depth cannot overflow it. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (typeof node !== "object" || node === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Validates a JSON request body once; the parsed value keeps unknown fields when the schema is
 * loose, so they reach the job untouched.
 *
 * @example
 * const body = parseBody(ChatCompletionRequest, request.body);
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidRequestError("The request body must be a JSON object.", { code: "invalid_json" });
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new InvalidRequestError(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`, {
      code: "invalid_json",
    });
  }
  const result = schema.safeParse(body);
  if (!result.success) throw toInvalidRequest(result.error, body);
  return result.data;
}
