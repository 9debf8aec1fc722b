import type { z } from "zod";
import { InvalidRequestError } from "@switchyard/contracts";

/** Parses query parameters, or throws a 400 naming the first bad parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new InvalidRequestError("Invalid query parameters.");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? null;
    throw new InvalidRequestError(`Unrecognized query parameter: ${key}.`, { param: key });
  }
  // The query parameter itself, not a position inside its parsed value (`group_by`, not `group_by.1`).
  const param = issue.path.length > 0 ? String(issue.path[0]) : null;
  throw new InvalidRequestError(param ? `Invalid '${param}': ${issue.message}.` : `${issue.message}.`, { param });
}
