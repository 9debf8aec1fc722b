import type { FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { randomId } from "@switchyard/contracts";

export const REQUEST_ID_HEADER = "x-request-id";

/** Fastify's `genReqId`: requests that name no job are traced by this id. */
export function generateRequestId(): string {
  return `req_${randomId()}`;
}

/** Runs first, so every answer (404s and errors included) carries the id. */
export const requestIdHook: onRequestHookHandler = (request, reply, done) => {
  reply.header(REQUEST_ID_HEADER, request.id);
  done();
};

/** A job request is known by its job id from the moment the id exists. */
export function useJobIdAsRequestId(reply: FastifyReply, jobId: string): void {
  reply.header(REQUEST_ID_HEADER, jobId);
}

/** For errors raised before any hook ran (a malformed URL): set the header if nothing did. */
export function ensureRequestId(request: FastifyRequest, reply: FastifyReply): string {
  const current = reply.getHeader(REQUEST_ID_HEADER);
  if (typeof current === "string") return current;
  reply.header(REQUEST_ID_HEADER, request.id);
  return request.id;
}
