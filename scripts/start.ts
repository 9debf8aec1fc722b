// `npm start`: the whole stack on one machine with embedded defaults. Finds or starts NATS and
// PostgreSQL, creates the database, then starts the simulated provider, the ledger (which
// migrates), one provider worker per catalog family and the ingress. Ctrl-C stops everything
// it started, in reverse order.
import { join } from "node:path";
import { connect } from "node:net";
import {
  createDatabase,
  findOrStartNats,
  findOrStartPostgres,
  startService,
  type ServiceName,
  type ServiceProcess,
} from "@switchyard/devstack";
import { loadCatalog } from "@switchyard/catalog";

const root = join(import.meta.dirname, "..");
const env = process.env;
const log = (line: string): void => console.log(line);
const stoppers: Array<() => Promise<void>> = [];

async function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function main(): Promise<void> {
  const dataDir = join(root, ".data");
  const nats = await findOrStartNats({ env, dataDir, log: (l) => log(`[nats] ${l}`) });
  stoppers.push(() => nats.stop());
  const postgres = await findOrStartPostgres({ env, dataDir, log: (l) => log(`[postgres] ${l}`) });
  stoppers.push(() => postgres.stop());
  const databaseUrl = env.DATABASE_URL ?? (await createDatabase(postgres.adminUrl, "switchyard"));

  const simPort = env.SIM_PORT ?? "8090";
  const ledgerPort = env.LEDGER_PORT ?? "8081";
  const ingressPort = env.INGRESS_PORT ?? "8080";
  const simUrl = env.SIM_PROVIDER_URL ?? `http://127.0.0.1:${simPort}`;

  // Traces go to a collector if one is configured or listening on the OTLP/HTTP port;
  // otherwise tracing is off rather than failing every export in the background.
  const tracing: Record<string, string> = {};
  let tracingNote = `tracing: exporting to ${env.OTEL_EXPORTER_OTLP_ENDPOINT}`;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_TRACES_EXPORTER) {
    if (await listening("127.0.0.1", 4318)) {
      tracingNote = "tracing: exporting to the collector on http://127.0.0.1:4318";
    } else {
      tracing.OTEL_TRACES_EXPORTER = "none";
      tracingNote = "tracing: off (no collector on :4318; see infra/ or set OTEL_EXPORTER_OTLP_ENDPOINT)";
    }
  }
  const common = {
    ...env,
    NATS_URL: nats.url,
    DATABASE_URL: databaseUrl,
    SIM_PROVIDER_URL: simUrl,
    OTEL_METRICS_EXPORTER: env.OTEL_METRICS_EXPORTER ?? "none",
    OTEL_LOGS_EXPORTER: env.OTEL_LOGS_EXPORTER ?? "none",
    ...tracing,
  };
  const start = async (
    service: ServiceName,
    options: { name?: string; port?: string; env?: Record<string, string>; args?: string[] } = {},
  ): Promise<ServiceProcess> => {
    const started = await startService(service, {
      root,
      name: options.name,
      env: { ...common, ...options.env },
      port: options.port === undefined ? undefined : Number(options.port),
      args: options.args,
      log: (line) => log(line),
    });
    stoppers.push(() => started.stop());
    return started;
  };

  const catalog = loadCatalog(env.CATALOG_PATH ?? join(root, "config", "catalog.yaml"), common);
  if (!env.SIM_PROVIDER_URL) await start("sim-provider", { port: simPort });
  await start("ledger", { port: ledgerPort });
  for (const family of catalog.families()) {
    // A video job holds its message while it polls the upstream for minutes: that family's
    // worker needs many more jobs in flight than one whose calls take a second.
    const workerEnv: Record<string, string> =
      family === "video" && !env.WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: "1000" } : {};
    await start("provider-worker", { name: `provider-worker-${family}`, env: workerEnv, args: ["--family", family] });
  }
  await start("webhooks");
  await start("ingress", { port: ingressPort });

  const url = `http://127.0.0.1:${ingressPort}`;
  log(`
Switchyard is running.
  ingress     ${url}   (OpenAI-compatible: ${url}/v1)
  ledger      http://127.0.0.1:${ledgerPort}/v1/usage
  simulator   ${simUrl}
  NATS        ${nats.url}${nats.started ? " (started here)" : ""}
  PostgreSQL  ${databaseUrl.replace(/:[^:@/]*@/, ":***@")}${postgres.started ? " (started here)" : ""}
  ${tracingNote}
  dev API key sk-switchyard-dev (tenant dev)

Try:
  curl ${url}/v1/chat/completions \\
    -H "Authorization: Bearer sk-switchyard-dev" -H "Content-Type: application/json" \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Return exactly: Hello, Switchyard!"}]}'

Ctrl-C stops everything.`);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => console.error(error));
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

main().catch(async (error: unknown) => {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
