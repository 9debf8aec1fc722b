import type { IncomingMessage } from "node:http";
import { trace } from "@opentelemetry/api";
import type { FastifyReply, FastifyRequest } from "fastify";
import { createJobId, type JobIdPrefix } from "@switchyard/contracts";
import { useJobIdAsRequestId } from "../request-id.js";
import { idempotentJobId, readIdempotencyKey } from "./idempotency.js";

export interface JobIdentity {
  readonly id: string;
  readonly idempotencyKey: string | undefined;
}

/**
 * Names a job request: the id its Idempotency-Key derives (one job per tenant and key), or a
 * fresh time-ordered one. From here on the request is known by it: its `x-request-id`, and the
 * active span's `switchyard.job_id`.
 *
 * @example
 * const { id, idempotencyKey } = identifyJob(request, reply, "video", ctx.clock.now());
 */
export function identifyJob(
  request: FastifyRequest,
  reply: FastifyReply,
  prefix: JobIdPrefix,
  now: number,
): JobIdentity {
  const idempotencyKey = readIdempotencyKey(idempotencyHeader(request));
  const id =
    idempotencyKey === undefined ? createJobId(prefix, now) : idempotentJobId(request.tenant, idempotencyKey, prefix);
  useJobIdAsRequestId(reply, id);
  trace.getActiveSpan()?.setAttribute("switchyard.job_id", id);
  return { id, idempotencyKey };
}

/**
 * The Idempotency-Key header as sent: Node joins a repeated header into one "a, b" string,
 * which would pass for a key of its own; `headersDistinct` keeps the values apart, so a
 * repeated header is refused as such.
 */
function idempotencyHeader(request: FastifyRequest): string | string[] | undefined {
  // Absent on light-my-request's requests (app.inject): then the headers as Fastify has them.
  const values = (request.raw.headersDistinct as IncomingMessage["headersDistinct"] | undefined)?.["idempotency-key"];
  if (values === undefined) return request.headers["idempotency-key"];
  return values.length === 1 ? values[0] : values;
}
