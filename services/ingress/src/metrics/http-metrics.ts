import type { FastifyReply, FastifyRequest } from "fastify";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { IngressDeps } from "../deps.js";

/**
 * Sync chat waits for the upstream, streams last as long as the answer and video downloads
 * as long as the file: the buckets reach minutes.
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Requests that matched no route share one label value, so a scan cannot grow the series. */
const UNMATCHED_ROUTE = "unmatched";

export interface HttpMetrics {
  onRequest(request: FastifyRequest, reply: FastifyReply): void;
  onResponse(request: FastifyRequest, reply: FastifyReply): void;
}

/**
 * Requests by route template, method, status and model, their duration, and those in
 * flight. Labels come only from bounded sets: the route template (never the raw URL), the
 * status, and the model when the catalog knows it, so a client sending made-up model names
 * or paths adds no series.
 */
export function createHttpMetrics(registry: Registry, catalog: IngressDeps["catalog"]): HttpMetrics {
  const requests = new Counter({
    name: "switchyard_http_requests_total",
    help: "HTTP requests answered, by route template, method, status code and catalog model ('' when none).",
    labelNames: ["route", "method", "status_code", "model"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "switchyard_http_request_duration_seconds",
    help: "Time from the request's arrival to the end of its response (a stream's last byte), by route template and method.",
    labelNames: ["route", "method"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "switchyard_http_requests_in_flight",
    help: "Requests received and not yet answered or abandoned.",
    registers: [registry],
  });

  const modelOf = (request: FastifyRequest): string => {
    const model = (request.body as { model?: unknown } | null | undefined)?.model;
    return typeof model === "string" && catalog.getModel(model) ? model : "";
  };

  return {
    onRequest(_request, reply) {
      inFlight.inc();
      // 'close' comes for every response, finished or abandoned by the client.
      reply.raw.once("close", () => inFlight.dec());
    },
    onResponse(request, reply) {
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
      const method = request.method;
      requests.inc({ route, method, status_code: String(reply.statusCode), model: modelOf(request) });
      duration.observe({ route, method }, reply.elapsedTime / 1000);
    },
  };
}
