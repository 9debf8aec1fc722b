import { startTelemetry } from "@switchyard/telemetry";
import { loadConfig, type WorkerConfig } from "./config.js";

let config: WorkerConfig;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

// Telemetry first, the rest of the worker only afterwards: instrumentations must be in place
// before the modules they trace load (undici is traced through diagnostics channels, but the
// pattern is the same in every service).
const telemetry = startTelemetry({ serviceName: "provider-worker" });
const { run } = await import("./run.js");
try {
  await run({ config, env: process.env, telemetry });
} catch (error) {
  console.error(`provider-worker ${config.family}: failed to start:`, error instanceof Error ? error.message : error);
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
}
