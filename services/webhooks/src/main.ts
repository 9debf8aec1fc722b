import { startTelemetry } from "@switchyard/telemetry";
import { loadConfig, type WebhooksConfig } from "./config.js";

let config: WebhooksConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

// Telemetry first, the rest of the service only afterwards: instrumentations must be in place
// before the modules they trace load.
const telemetry = startTelemetry({ serviceName: "webhooks" });
const { run } = await import("./run.js");

// The handlers go in before the dispatcher starts: launchers signal as soon as it prints its
// ready line, which can be before `run` returns. A signal during the start stops it once it is up.
const started = run(config);
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: stop waiting
    stopping = true;
    console.error(`webhooks: ${signal}, finishing the attempts in flight and stopping`);
    void started
      .then((dispatcher) => dispatcher.close())
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`webhooks: unclean stop: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  });
}

let dispatcher: Awaited<typeof started>;
try {
  dispatcher = await started;
} catch (error) {
  console.error(`webhooks: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
}

void dispatcher.ended.then(() => {
  if (stopping) return;
  console.error("webhooks: a consumer stopped unexpectedly; exiting so the supervisor restarts the dispatcher");
  process.exit(1);
});
