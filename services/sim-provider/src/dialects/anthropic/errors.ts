import type { ErrorDetails } from "../../dialect.js";

/** The error envelope of the Anthropic API. */
export function anthropicErrorBody(status: number, details: ErrorDetails): unknown {
  return { type: "error", error: { type: details.type ?? typeFor(status), message: details.message } };
}

export function anthropicAuthError(apiKey: string | undefined): { status: number; body: unknown } {
  const message = apiKey === undefined ? "x-api-key header is required" : "invalid x-api-key";
  return { status: 401, body: anthropicErrorBody(401, { message }) };
}

// https://docs.anthropic.com/en/api/errors
function typeFor(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}
