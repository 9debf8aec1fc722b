import { Registry, collectDefaultMetrics } from "prom-client";
import type { IngressDeps } from "../deps.js";
import { createHttpMetrics, type HttpMetrics } from "./http-metrics.js";
import { registerJetStreamMetrics } from "./jetstream-metrics.js";

const EVENT_LOOP_SAMPLE_MS = 100;

export interface IngressMetrics {
  readonly registry: Registry;
  readonly http: HttpMetrics;
}

/**
 * The ingress's Prometheus registry: its HTTP traffic, JetStream's queues as the ingress
 * sees them, and Node's process figures (CPU, memory, event-loop delay). One registry per
 * app, not prom-client's global one, so apps built side by side in tests count apart.
 */
export function createIngressMetrics(deps: Pick<IngressDeps, "bus" | "names" | "catalog">): IngressMetrics {
  const registry = new Registry();
  // prom-client samples the event loop's delay with a 10 ms timer by default: 100 wake-ups a
  // second in a process that is otherwise idle; every 100 ms still sees any stall that matters.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  registerJetStreamMetrics(registry, deps.bus, deps.names);
  return { registry, http: createHttpMetrics(registry, deps.catalog) };
}
