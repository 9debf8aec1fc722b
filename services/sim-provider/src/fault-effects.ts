import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ErrorDetails } from "./dialect.js";
import { FAULT_HEADER, parseFaultHeader } from "./fault-header.js";
import type { FaultPhase, FaultRegistry, FaultSpec } from "./faults.js";

export interface FaultEffectDeps {
  faults: FaultRegistry;
  /** SIM_LATENCY_MS, added before every inference response. */
  latencyMs: number;
  /** Sockets held open by `hang` faults; the app destroys them when it closes. */
  hung: Set<Socket>;
}

/**
 * The fault for one request: the `x-sim-fault` header's when present (the registry is then
 * neither consulted nor consumed), else the first matching registry rule. `text` is what `match`
 * is checked against; `phase` is the video task step, absent elsewhere. Throws an Error naming
 * the problem when the header is malformed.
 */
export function pickFault(
  faults: FaultRegistry,
  request: FastifyRequest,
  text: string,
  phase?: FaultPhase,
): FaultSpec | undefined {
  const header = request.headers[FAULT_HEADER];
  if (typeof header !== "string") return faults.take(text, phase);
  const fault = parseFaultHeader(header);
  if (fault.match !== undefined && !text.includes(fault.match)) return undefined;
  if (fault.on !== undefined && fault.on !== phase) return undefined;
  return fault;
}

/** The Retry-After header a fault asks for, sent on whatever the response is. */
export function faultHeaders(fault: FaultSpec | undefined): Record<string, string> {
  return fault?.retry_after === undefined ? {} : { "retry-after": String(fault.retry_after) };
}

/**
 * The effects every endpoint shares, in order: latency, then `drop`/`hang`, then `status`.
 * Returns true when the fault took the request over (the caller must not answer), false when
 * the caller answers normally.
 */
export async function applyFault(
  deps: FaultEffectDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  fault: FaultSpec | undefined,
  errorBody: (status: number, details: ErrorDetails) => unknown,
): Promise<boolean> {
  const delay = deps.latencyMs + (fault?.latency_ms ?? 0);
  if (delay > 0) await sleep(delay);
  if (fault?.drop || fault?.hang) {
    reply.hijack();
    const socket = request.raw.socket;
    if (fault.drop) {
      socket.destroy();
    } else if (!socket.destroyed) {
      deps.hung.add(socket);
      socket.once("close", () => deps.hung.delete(socket));
    }
    return true;
  }
  if (fault?.status !== undefined) {
    const details = {
      message: fault.message ?? "simulated failure",
      type: fault.error_type,
      code: fault.error_code,
      param: fault.error_param,
    };
    void reply.code(fault.status).headers(faultHeaders(fault)).send(errorBody(fault.status, details));
    return true;
  }
  return false;
}

/**
 * Sends a JSON answer, or with `truncate_after` a complete HTTP response whose JSON is cut
 * short: never the whole body, so it never parses.
 */
export function sendJson(reply: FastifyReply, body: unknown, fault: FaultSpec | undefined): FastifyReply {
  const headers = faultHeaders(fault);
  if (fault?.truncate_after === undefined) return reply.headers(headers).send(body);
  const json = JSON.stringify(body);
  const cut = json.slice(0, Math.min(fault.truncate_after, json.length - 1));
  return reply.headers({ ...headers, "content-type": "application/json; charset=utf-8" }).send(cut);
}
