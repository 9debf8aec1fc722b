import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorDetails } from "../dialect.js";

/**
 * Renders framework errors (bad JSON, empty body, oversized body) in a dialect's envelope, so a
 * client SDK parses them like the real provider's. Anything unexpected is a 500 without details.
 */
export function createErrorHandler(errorBody: (status: number, details: ErrorDetails) => unknown) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error(error);
    const message = status === 500 ? "internal error in sim-provider" : error.message;
    return reply.code(status).send(errorBody(status, { message }));
  };
}
