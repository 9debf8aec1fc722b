import type { ErrorDetails } from "../../dialect.js";

/** The error envelope of the OpenAI API, with the type and code openai-node keys on. */
export function openAiErrorBody(status: number, details: ErrorDetails): unknown {
  return {
    error: {
      message: details.message,
      type: details.type ?? typeFor(status),
      param: details.param ?? null,
      code: details.code ?? codeFor(status),
    },
  };
}

export function openAiAuthError(apiKey: string | undefined): { status: number; body: unknown } {
  const message =
    apiKey === undefined
      ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
      : "Incorrect API key provided.";
  return { status: 401, body: openAiErrorBody(401, { message, code: "invalid_api_key" }) };
}

function typeFor(status: number): string {
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

function codeFor(status: number): string | null {
  return status === 429 ? "rate_limit_exceeded" : null;
}
