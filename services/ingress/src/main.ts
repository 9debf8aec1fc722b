import { startTelemetry } from "@switchyard/telemetry";
import { loadConfig, type IngressConfig } from "./config.js";

let config: IngressConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

// Telemetry first, and the rest of the service only afterwards: the HTTP instrumentation has to
// patch node:http before Fastify loads it.
const telemetry = startTelemetry({ serviceName: "ingress" });
const { run } = await import("./run.js");
try {
  await run({ config, env: process.env, telemetry });
} catch (error) {
  console.error("ingress: failed to start:", error instanceof Error ? error.message : error);
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
}
