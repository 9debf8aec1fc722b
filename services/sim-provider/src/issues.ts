import type { z } from "zod";

/** One line per problem, `path: message`, for error envelopes that carry a single message string. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}
