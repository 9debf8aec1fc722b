import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startChild, type Child } from "./child.js";
import { findExecutable } from "./executable.js";
import { silent, tail, type Log } from "./log.js";
import { probeNats } from "./nats-probe.js";
import { freePort } from "./ports.js";
import { signalPid } from "./process-tree.js";
import { track } from "./registry.js";

export interface NatsHandle {
  url: string;
  /** True when this process started the server; `stop()` is a no-op otherwise. */
  started: boolean;
  stop(): Promise<void>;
}

export interface NatsServer extends NatsHandle {
  port: number;
  /** Stops the server and starts it again on the same port and data dir; streams survive. */
  restart(): Promise<void>;
  /** The server's last output lines. */
  output(): string;
}

export interface StartNatsServerOptions {
  /** Default: a free port. */
  port?: number;
  /** JetStream keeps its files in `<dataDir>/nats`. */
  dataDir: string;
  log?: Log;
  /** Path of the nats-server binary; default: found on PATH, /usr/sbin or /usr/local/bin. */
  binary?: string;
  /** Environment for the PATH search and the server process; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** How long one start may take; default 15 s. */
  timeoutMs?: number;
}

const stopKillAfterMs = 5_000;

/** The error thrown when neither a running NATS nor a nats-server binary is available. */
export function natsServerMissingError(): Error {
  return new Error(
    [
      "Switchyard needs NATS with JetStream, but nothing with JetStream answers on nats://127.0.0.1:4222",
      "and there is no nats-server binary on PATH (also looked in /usr/sbin and /usr/local/bin). Either:",
      "  - on Debian/Ubuntu: sudo apt-get install nats-server",
      "  - anywhere: download nats-server from https://github.com/nats-io/nats-server/releases and put it on PATH",
      "  - or use a NATS server you already run (with JetStream enabled): NATS_URL=nats://host:4222",
    ].join("\n"),
  );
}

/**
 * Starts a private nats-server with JetStream on 127.0.0.1, for callers that must own it
 * (tests that stop or restart NATS). Resolves once JetStream answers.
 *
 * @example
 * const nats = await startNatsServer({ dataDir: "/tmp/switchyard-test" });
 * await nats.restart();
 * await nats.stop();
 */
export async function startNatsServer(options: StartNatsServerOptions): Promise<NatsServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? silent;
  const binary = options.binary ?? findExecutable("nats-server", env);
  if (!binary) throw natsServerMissingError();
  const port = options.port ?? (await freePort());
  const storeDir = join(options.dataDir, "nats");
  await mkdir(storeDir, { recursive: true });
  const url = `nats://127.0.0.1:${port}`;
  const args = ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", String(port)];
  const timeoutMs = options.timeoutMs ?? 15_000;

  const launch = async (): Promise<Child> => {
    let ready = false;
    const child = startChild({
      command: binary,
      args,
      env,
      onLine: (line) => {
        if (line.includes("Server is ready")) ready = true;
        // The start banner is noise; warnings and errors are worth seeing.
        if (/\[(WRN|ERR|FTL)\]/.test(line)) log(`[nats-server] ${line}`);
      },
    });
    const untrack = track({
      kind: "infrastructure",
      stop: () => child.stop("SIGTERM", stopKillAfterMs),
      signalNow: () => {
        if (child.pid !== undefined && !child.hasExited()) signalPid(child.pid, "SIGTERM");
      },
    });
    void child.exited.then(untrack);
    const failure = (what: string): Error =>
      new Error(
        `nats-server on port ${port} ${what}. Command: ${binary} ${args.join(" ")}\nLast output:\n${tail(child.lines(), 30)}`,
      );

    // "Server is ready" comes from our process; a probe alone could reach another server on the port.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.hasExited()) {
        const spawnError = child.spawnError();
        throw spawnError
          ? new Error(`could not run ${binary}: ${spawnError.message}`, { cause: spawnError })
          : failure("exited before it was ready");
      }
      if (ready) {
        const probe = await probeNats(url, 1_000);
        if (probe.reachable && probe.jetstream) return child;
      }
      if (Date.now() > deadline) {
        await child.stop("SIGTERM", stopKillAfterMs);
        throw failure(`was not ready with JetStream after ${timeoutMs} ms, so it was stopped`);
      }
      await sleep(50);
    }
  };

  const started = Date.now();
  let current = await launch();
  log(
    `started nats-server (pid ${String(current.pid)}) on ${url} with JetStream data in ${storeDir} in ${Date.now() - started} ms`,
  );

  return {
    url,
    port,
    started: true,
    async stop() {
      await current.stop("SIGTERM", stopKillAfterMs);
    },
    async restart() {
      await current.stop("SIGTERM", stopKillAfterMs);
      current = await launch();
      log(`restarted nats-server (pid ${String(current.pid)}) on ${url}`);
    },
    output: () => current.lines().join("\n"),
  };
}
