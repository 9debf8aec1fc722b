import { natsServerMissingError, startNatsServer, type NatsHandle } from "./nats-server.js";
import { findExecutable } from "./executable.js";
import { silent, type Log } from "./log.js";
import { probeNats } from "./nats-probe.js";
import { freePort, isPortFree } from "./ports.js";

export interface FindOrStartNatsOptions {
  /** Reads NATS_URL and PATH; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** A started server keeps its JetStream files in `<dataDir>/nats`. */
  dataDir: string;
  log?: Log;
}

const defaultPort = 4222;
const localUrl = `nats://127.0.0.1:${defaultPort}`;

/**
 * Finds NATS with JetStream, or starts one: `NATS_URL` if set (and it must answer), else a
 * server on 127.0.0.1:4222 with JetStream, else a `nats-server` binary started on 4222 (or a
 * free port when 4222 is taken). Throws with install instructions when none of these works.
 *
 * @example
 * const nats = await findOrStartNats({ env: process.env, dataDir: ".data", log: console.log });
 * // ... pass nats.url to the services ...
 * await nats.stop(); // stops the server only if it was started here
 */
export async function findOrStartNats(options: FindOrStartNatsOptions): Promise<NatsHandle> {
  const env = options.env ?? process.env;
  const log = options.log ?? silent;

  const configured = env.NATS_URL?.trim();
  if (configured) {
    const probe = await probeNats(configured);
    if (!probe.reachable) {
      throw new Error(
        `NATS_URL=${configured} does not answer (${probe.error}). Start that server, or unset NATS_URL to use or start a local nats-server.`,
      );
    }
    if (!probe.jetstream) {
      throw new Error(
        `NATS_URL=${configured} answers but JetStream is not available (${probe.error}). Enable JetStream on it (nats-server -js), or unset NATS_URL.`,
      );
    }
    log(`using NATS from NATS_URL: ${configured} (nats-server ${probe.version})`);
    return external(configured);
  }

  const local = await probeNats(localUrl);
  if (local.reachable && local.jetstream) {
    log(`using the NATS already running on ${localUrl} (nats-server ${local.version})`);
    return external(localUrl);
  }
  if (local.reachable) log(`the NATS on ${localUrl} has no JetStream (${local.error}); starting a private nats-server`);

  const binary = findExecutable("nats-server", env);
  if (!binary) throw natsServerMissingError();
  const port = (await isPortFree(defaultPort)) ? defaultPort : await freePort();
  return startNatsServer({ port, dataDir: options.dataDir, log, binary, env });
}

function external(url: string): NatsHandle {
  return { url, started: false, stop: async () => {} };
}
