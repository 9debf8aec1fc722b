import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { BrokerError, ServiceUnavailableError, toErrorBody, type ErrorEnvelope } from "@switchyard/contracts";
import { isConnectionError } from "../db-errors.js";

/**
 * Every error of the analyst API as the OpenAI envelope: ours as they are typed, Fastify's 4xx
 * (a malformed URL or query string) as `invalid_request`, PostgreSQL out of reach as a 503 to
 * retry, anything else as a logged 500. Installed both as the error handler and for the
 * framework errors Fastify raises before routing.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof BrokerError) return sendBrokerError(reply, error);
  // An outage, not a fault: the analyst's client should retry, as `/readyz` says.
  if (isConnectionError(error)) {
    return sendBrokerError(
      reply,
      new ServiceUnavailableError("PostgreSQL is not answering; try again.", { cause: error }),
    );
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return reply.status(status).send({
      error: { message: error.message, type: "invalid_request_error", param: null, code: "invalid_request" },
    } satisfies ErrorEnvelope);
  }
  request.log.error({ err: error }, "request failed");
  return reply.status(500).send({
    error: { message: "The ledger failed to answer; try again.", type: "server_error", param: null, code: null },
  } satisfies ErrorEnvelope);
}

function sendBrokerError(reply: FastifyReply, error: BrokerError): FastifyReply {
  if (error.retryAfterMs !== undefined) reply.header("retry-after", Math.ceil(error.retryAfterMs / 1000));
  return reply.status(error.status).send({ error: toErrorBody(error) } satisfies ErrorEnvelope);
}
