import { join } from "node:path";
import type { Log } from "./log.js";
import { isPortFree } from "./ports.js";
import { spawnService, type ServiceProcess } from "./processes.js";
import { tsxCommand } from "./tsx.js";

export type ServiceName = "sim-provider" | "ledger" | "provider-worker" | "webhooks" | "ingress";

interface ServiceSpec {
  entry: string;
  /** The variable the service reads its HTTP port from; none for services without a server. */
  portVariable?: string;
  /** Ready when this path answers 2xx on the port, or when a line of output matches. */
  ready: { path: string } | { line: RegExp };
}

/**
 * Every service as each launcher (`npm start`, the bench, the e2e stack) runs it: where its
 * entry point is, where its port comes from, and how it says it is ready.
 */
const SERVICES: Record<ServiceName, ServiceSpec> = {
  "sim-provider": {
    entry: "services/sim-provider/src/main.ts",
    portVariable: "SIM_PORT",
    ready: { path: "/v1/models" },
  },
  ledger: { entry: "services/ledger/src/main.ts", portVariable: "LEDGER_PORT", ready: { path: "/healthz" } },
  "provider-worker": { entry: "services/provider-worker/src/main.ts", ready: { line: /provider-worker .*ready/ } },
  webhooks: { entry: "services/webhooks/src/main.ts", ready: { line: /webhooks ready/ } },
  ingress: { entry: "services/ingress/src/main.ts", portVariable: "INGRESS_PORT", ready: { path: "/readyz" } },
};

export interface StartServiceOptions {
  /** The workspace root (the folder holding `services/` and `node_modules/`). */
  root: string;
  /** In log prefixes and errors; defaults to the service's name (give each worker its own). */
  name?: string;
  /** The whole environment of the process (nothing is inherited); `OTEL_SERVICE_NAME` is set to the service's name. */
  env: Record<string, string | undefined>;
  /** The HTTP port, for the services that listen: set in its variable and checked for readiness. */
  port?: number;
  /** Arguments after the entry point, e.g. `["--family", "openai"]`. */
  args?: string[];
  timeoutMs?: number;
  log?: Log;
}

/**
 * Runs one service from the workspace's TypeScript under tsx and resolves once it is ready.
 *
 * @example
 * const ledger = await startService("ledger", { root, env, port: 8081, log });
 */
export async function startService(service: ServiceName, options: StartServiceOptions): Promise<ServiceProcess> {
  const spec = SERVICES[service];
  // Named by what it is, whatever the caller's environment says: an OTEL_SERVICE_NAME in the
  // user's shell would otherwise give every service the same name in the traces.
  const env: Record<string, string | undefined> = { ...options.env, OTEL_SERVICE_NAME: service };
  let ready: { url: string } | { line: RegExp };
  if ("path" in spec.ready) {
    if (options.port === undefined || spec.portVariable === undefined) {
      throw new Error(`${service} listens on a port: pass one`);
    }
    // Readiness is an HTTP answer on the port, which whatever already listens there (another
    // `npm start`, say) would give while this service dies of EADDRINUSE.
    if (!(await isPortFree(options.port))) {
      throw new Error(
        `${options.name ?? service}: port ${options.port} on 127.0.0.1 is already in use (another npm start?); stop what listens there or set ${spec.portVariable} to another port`,
      );
    }
    env[spec.portVariable] = String(options.port);
    ready = { url: `http://127.0.0.1:${options.port}${spec.ready.path}` };
  } else {
    ready = spec.ready;
  }
  const tsx = tsxCommand(options.root);
  return spawnService({
    name: options.name ?? service,
    command: tsx.command,
    args: [...tsx.args, join(options.root, spec.entry), ...(options.args ?? [])],
    cwd: options.root,
    env,
    ready,
    timeoutMs: options.timeoutMs,
    log: options.log,
  });
}
