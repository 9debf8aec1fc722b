import type { ErrorDetails } from "../../dialect.js";

/** Google's error envelope; `details.type` overrides the status string. */
export function geminiErrorBody(status: number, details: ErrorDetails): unknown {
  return { error: { code: status, message: details.message, status: details.type ?? statusFor(status) } };
}

/**
 * What the real API answers for a missing key (403) and a wrong one (400 with API_KEY_INVALID),
 * so the broker's classification of both is tested against the real shapes.
 */
export function geminiAuthError(apiKey: string | undefined): { status: number; body: unknown } {
  if (apiKey === undefined) {
    const message =
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";
    return { status: 403, body: geminiErrorBody(403, { message }) };
  }
  return {
    status: 400,
    body: {
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
            domain: "googleapis.com",
            metadata: { service: "generativelanguage.googleapis.com" },
          },
        ],
      },
    },
  };
}

// google.rpc.Code names by their usual HTTP mapping.
function statusFor(status: number): string {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 501:
      return "NOT_IMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}
