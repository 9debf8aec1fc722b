import { connectBus, ensureStreams, openArtifactStore, openStatusStore, type BusConnection } from "@switchyard/bus";
import { loadCatalog } from "@switchyard/catalog";
import { createNames } from "@switchyard/contracts";
import type { Telemetry } from "@switchyard/telemetry";
import type { FastifyInstance } from "fastify";
import { createIngressApp } from "./app.js";
import { DEV_API_KEY, DEV_TENANT, type IngressConfig } from "./config.js";

export interface RunOptions {
  config: IngressConfig;
  /** For `${VAR}` references in the catalog file. */
  env: Readonly<Record<string, string | undefined>>;
  telemetry: Telemetry;
}

/**
 * Connects, listens and stays up until SIGTERM/SIGINT. Shutdown order: stop accepting and let
 * in-flight requests finish (they still need NATS for their answers), cut what remains after
 * the grace period, then drain NATS, then flush telemetry.
 */
export async function run({ config, env, telemetry }: RunOptions): Promise<void> {
  // The handlers go in first: launchers signal as soon as the ingress answers, which can be
  // before this function gets past `listen`. Until the app exists nothing has been accepted,
  // so a signal then simply ends the process.
  let up: { app: FastifyInstance; bus: BusConnection } | undefined;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      console.error(`ingress: second ${signal}, exiting now`);
      process.exit(1);
    }
    stopping = true;
    if (!up) {
      console.log(`ingress: ${signal} received while starting, exiting`);
      process.exit(0);
    }
    const { app, bus } = up;
    console.log(`ingress: ${signal} received, finishing in-flight requests`);
    const grace = setTimeout(() => app.server.closeAllConnections(), config.shutdownGraceMs);
    try {
      await app.close();
      clearTimeout(grace);
      await bus.close();
      await telemetry.shutdown();
      process.exit(0);
    } catch (error) {
      console.error("ingress: shutdown failed:", error);
      process.exit(1);
    }
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, (s) => void stop(s));

  const catalog = loadCatalog(config.catalogPath, env);
  const names = createNames(config.namespace);
  const bus = await connectBus({ servers: [...config.natsServers], name: "ingress" });
  await ensureStreams(bus.jsm, names);
  const statusStore = await openStatusStore(bus, names);
  const artifacts = await openArtifactStore(bus.js, names);

  const app = createIngressApp({ config, bus, names, catalog, statusStore, artifacts });
  up = { app, bus };
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  console.log(`ingress listening on http://${host}:${port}`);
  if (config.publicUrl) console.log(`public URL: ${config.publicUrl}`);
  if (config.devKeyActive) console.log(`dev API key: ${DEV_API_KEY} (tenant ${DEV_TENANT})`);
  if (config.devSigningSecretActive) {
    console.log("image links are signed with the development key derived from the namespace; set SIGNING_SECRET");
  }
}
