import type { FastifyInstance } from "fastify";
import { streamsPresent } from "@switchyard/bus";
import type { IngressDeps } from "../deps.js";

const JSON_TYPE = "application/json; charset=utf-8";
const OK = JSON.stringify({ status: "ok" });

/**
 * `/healthz` says the process is alive; `/readyz` says it can take jobs (NATS connected, both
 * streams present, not shutting down). Neither needs an API key.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: Pick<IngressDeps, "bus" | "names">,
  isClosing: () => boolean,
): void {
  app.get("/healthz", { config: { public: true } }, (_request, reply) => {
    void reply.type(JSON_TYPE).send(OK);
  });

  app.get("/readyz", { config: { public: true } }, async (_request, reply) => {
    const reasons: string[] = [];
    if (isClosing()) reasons.push("shutting down");
    if (!deps.bus.isConnected()) reasons.push("NATS is not connected");
    else if (!(await streamsPresent(deps.bus.jsm, deps.names))) {
      reasons.push(`stream ${deps.names.jobsStream} or ${deps.names.eventsStream} is missing`);
    }
    if (reasons.length === 0) return reply.type(JSON_TYPE).send(OK);
    return reply.code(503).type(JSON_TYPE).send({ status: "unavailable", reasons });
  });
}
