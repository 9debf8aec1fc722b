import { InvalidRequestError } from "@switchyard/contracts";
import type { z } from "zod";

/**
 * Checks a job's request against its kind's schema again: the stream may hold jobs written by an
 * older ingress. A bad one fails the job with a 400 naming the field.
 */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  request: unknown,
): { ok: true; data: z.infer<S> } | { ok: false; error: InvalidRequestError } {
  const parsed = schema.safeParse(request);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  const param = issue?.path.map(String).join(".") || null;
  return { ok: false, error: new InvalidRequestError(issue?.message ?? "invalid request", { param }) };
}
