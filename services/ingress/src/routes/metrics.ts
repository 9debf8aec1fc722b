import type { FastifyInstance } from "fastify";
import type { IngressMetrics } from "../metrics/metrics.js";

/**
 * `GET /metrics` in Prometheus's text format, without an API key like the health routes:
 * scrapers sit inside the deployment. Every request is counted by the hooks installed here.
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: IngressMetrics): void {
  app.addHook("onRequest", (request, reply, done) => {
    metrics.http.onRequest(request, reply);
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    metrics.http.onResponse(request, reply);
    done();
  });
  app.get("/metrics", { config: { public: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
