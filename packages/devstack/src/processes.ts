import { startChild, type ExitInfo } from "./child.js";
import { tail, type Log } from "./log.js";
import { signalPid } from "./process-tree.js";
import { statelessPattern, waitForHttpOk } from "./readiness.js";
import { track } from "./registry.js";

export interface SpawnServiceOptions {
  /** Used in log prefixes and error messages, e.g. `ingress`. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment of the process: nothing is inherited, so spread `process.env` in if wanted. */
  env: Record<string, string | undefined>;
  /** Ready when the URL answers 2xx, or when a stdout/stderr line matches. */
  ready: { url: string } | { line: RegExp };
  /** How long to wait for readiness before stopping the process and failing; default 30 s. */
  timeoutMs?: number;
  /** Receives each output line as `[name] line`, plus a line when the process exits. */
  log?: Log;
  /** Called once when the process exits, whether before or after it became ready. */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Sends `signal` (SIGTERM by default) and waits for exit; SIGKILL after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** SIGKILL to the process and its children, without waiting: simulates a crash. */
  kill(): void;
  readonly exited: Promise<ExitInfo>;
  /** The last ~200 output lines, for debugging failures. */
  output(): string;
}

const defaultTimeoutMs = 30_000;
const stopKillAfterMs = 10_000;
const linesInErrors = 40;

/**
 * Starts a process and resolves once it is ready. If it exits first or is not ready in
 * time, rejects with an error that quotes its last output (and stops it on timeout).
 *
 * @example
 * const tsx = tsxCommand(root);
 * const ingress = await spawnService({
 *   name: "ingress",
 *   command: tsx.command,
 *   args: [...tsx.args, "services/ingress/src/main.ts"],
 *   cwd: root,
 *   env: { ...process.env, PORT: "8080" },
 *   ready: { url: "http://127.0.0.1:8080/healthz" },
 *   log: console.log,
 * });
 * await ingress.stop();
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceProcess> {
  const { name, log } = options;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const linePattern = "line" in options.ready ? statelessPattern(options.ready.line) : undefined;
  let sawReadyLine: (() => void) | undefined;

  const child = startChild({
    command: options.command,
    args: options.args,
    cwd: options.cwd,
    env: options.env,
    onLine: (line) => {
      log?.(`[${name}] ${line}`);
      if (linePattern?.test(line)) sawReadyLine?.();
    },
  });
  const untrack = track({
    kind: "service",
    stop: () => child.stop("SIGTERM", stopKillAfterMs),
    signalNow: () => {
      if (child.pid !== undefined && !child.hasExited()) signalPid(child.pid, "SIGTERM");
    },
  });
  void child.exited.then(({ code, signal }) => {
    untrack();
    if (child.spawnError() === undefined) log?.(`[${name}] exited (${describeExit({ code, signal })})`);
    options.onExit?.(code, signal);
  });

  const waitingFor = "url" in options.ready ? options.ready.url : `a line matching ${String(options.ready.line)}`;
  const output = (): string => child.lines().join("\n");
  const failure = (what: string): Error =>
    new Error(`${name}: ${what} (waiting for ${waitingFor}). Last output:\n${tail(child.lines(), linesInErrors)}`);

  const abort = new AbortController();
  const ready =
    "url" in options.ready
      ? waitForHttpOk(options.ready.url, abort.signal)
      : new Promise<void>((resolve) => (sawReadyLine = resolve));
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    child.exited.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs))),
  ]).finally(() => {
    clearTimeout(timer);
    abort.abort();
  });

  if (outcome === "exited") {
    const spawnError = child.spawnError();
    if (spawnError)
      throw new Error(`${name}: could not start ${options.command}: ${spawnError.message}`, { cause: spawnError });
    throw failure(`exited (${describeExit(await child.exited)}) before it was ready`);
  }
  if (outcome === "timeout") {
    await child.stop("SIGTERM", stopKillAfterMs);
    throw failure(`not ready after ${timeoutMs} ms, so it was stopped`);
  }

  const pid = child.pid;
  if (pid === undefined) throw failure("has no pid");
  return {
    name,
    pid,
    stop: (signal = "SIGTERM") => child.stop(signal, stopKillAfterMs),
    kill: () => child.killTree(),
    exited: child.exited,
    output,
  };
}

function describeExit({ code, signal }: ExitInfo): string {
  return signal ? `signal ${signal}` : `code ${String(code)}`;
}
