import { startTelemetry } from "@switchyard/telemetry";
import { loadConfig, type LedgerConfig } from "./config.js";

let config: LedgerConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

// Before anything else is imported: the HTTP instrumentation patches node:http as it loads.
const telemetry = startTelemetry({ serviceName: "ledger" });
const { run } = await import("./run.js");

// The handlers go in before the service starts: launchers signal as soon as it answers, which
// can be before `run` returns. A signal during the start stops the ledger once it is up.
const started = run(config, { env: process.env });
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: stop waiting
    stopping = true;
    console.error(`ledger: ${signal}, writing the current batch and stopping`);
    void started
      .then((ledger) => ledger.close())
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`ledger: unclean stop: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  });
}

try {
  await started;
} catch (error) {
  console.error(`ledger failed to start: ${error instanceof Error ? error.message : String(error)}`);
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
}
