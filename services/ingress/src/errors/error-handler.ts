import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BrokerError, toErrorBody, type ErrorBody, type ErrorEnvelope } from "@switchyard/contracts";
import { FailedJobError } from "./failed-job-error.js";
import { ensureRequestId } from "../request-id.js";

interface Rendered {
  status: number;
  body: ErrorBody;
  retryAfterMs?: number | undefined;
}

const INTERNAL: ErrorBody = {
  message: "The server had an error while processing your request.",
  type: "server_error",
  param: null,
  code: "internal_error",
};

/** Fastify's own request errors, in the words and codes an OpenAI client expects. */
const FASTIFY_ERRORS: Readonly<Record<string, Rendered>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: invalid(
    400,
    "invalid_json",
    "We could not parse the JSON body of your request. Send a valid JSON object.",
  ),
  FST_ERR_CTP_EMPTY_JSON_BODY: invalid(400, "invalid_json", "The request body is empty. Send a JSON object."),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: invalid(
    400,
    "invalid_request",
    "The request body does not match its Content-Length.",
  ),
  FST_ERR_CTP_BODY_TOO_LARGE: invalid(413, "request_too_large", "The request body is too large."),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: invalid(415, "unsupported_media_type", "Content-Type must be application/json."),
  FST_ERR_BAD_URL: invalid(400, "invalid_url", "The request URL is malformed."),
};

function invalid(status: number, code: string, message: string): Rendered {
  return { status, body: { message, type: "invalid_request_error", param: null, code } };
}

function classify(error: unknown): Rendered | undefined {
  if (error instanceof FailedJobError)
    return { status: error.status, body: error.body, retryAfterMs: error.retryAfterMs };
  if (error instanceof BrokerError)
    return { status: error.status, body: toErrorBody(error), retryAfterMs: error.retryAfterMs };
  if (typeof error !== "object" || error === null) return undefined;
  const { code, statusCode, message } = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof code === "string" && code in FASTIFY_ERRORS) return FASTIFY_ERRORS[code];
  // Other Fastify client errors carry a status and a message written for clients; anything else is ours.
  if (
    typeof code === "string" &&
    code.startsWith("FST_") &&
    typeof statusCode === "number" &&
    statusCode >= 400 &&
    statusCode < 500
  ) {
    return invalid(statusCode, "invalid_request", typeof message === "string" ? message : "Invalid request.");
  }
  return undefined;
}

/**
 * Writes the OpenAI envelope. `retry-after` is in whole seconds, as HTTP and the OpenAI SDK's
 * retry logic read it, and is always present on 429 and 503 so clients back off.
 */
export function sendError(reply: FastifyReply, status: number, body: ErrorBody, retryAfterMs?: number): FastifyReply {
  if (status === 429 || status === 503 || retryAfterMs !== undefined) {
    reply.header("retry-after", String(Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000))));
  }
  const envelope: ErrorEnvelope = { error: body };
  return reply.code(status).type("application/json; charset=utf-8").send(envelope);
}

/** Renders any error; what it does not recognise becomes a generic 500 and is reported, never shown. */
export function handleError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  report: (error: unknown, requestId: string) => void,
): FastifyReply {
  const requestId = ensureRequestId(request, reply);
  const rendered = classify(error);
  if (!rendered) {
    report(error, requestId);
    return sendError(reply, 500, INTERNAL);
  }
  return sendError(reply, rendered.status, rendered.body, rendered.retryAfterMs);
}

/**
 * The one place errors become HTTP answers: thrown errors, body-parser failures (through
 * Fastify's error handler) and unknown routes all leave in the OpenAI envelope.
 */
export function installErrorHandling(app: FastifyInstance, report: (error: unknown, requestId: string) => void): void {
  app.setErrorHandler((error, request, reply) => handleError(error, request, reply, report));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      message: `Invalid URL (${request.method} ${(request.url.split("?", 1)[0] ?? "").slice(0, 200)})`,
      type: "invalid_request_error",
      param: null,
      code: "not_found",
    }),
  );
}
