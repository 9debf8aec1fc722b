import { createSimApp } from "./app.js";
import { loadConfig, type SimConfig } from "./config.js";

// Long enough for in-flight streams to finish, short enough that a test teardown never stalls.
const SHUTDOWN_GRACE_MS = 3000;

let config: SimConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const app = createSimApp({
  latencyMs: config.latencyMs,
  requireKey: config.requireKey,
  log: config.log,
  videoMs: config.videoMs,
});
// Launchers signal as soon as the ready line appears, so the handlers go in before it.
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("sim-provider: error while closing", error);
        process.exit(1);
      },
    );
  });
}

await app.listen({ host: config.host, port: config.port });

const address = app.server.address();
const port = typeof address === "object" && address !== null ? address.port : config.port;
const host = config.host.includes(":") ? `[${config.host}]` : config.host;
// Tests that start the sim with SIM_PORT=0 read the port from this exact line.
console.log(`sim-provider listening on http://${host}:${port}`);
