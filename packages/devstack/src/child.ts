import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { descendants, isAlive, signalPid } from "./process-tree.js";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  /** Every stdout and stderr line, as it arrives. */
  onLine?: (line: string) => void;
  /** How many lines `lines()` keeps. */
  keepLines?: number;
}

/** A spawned process with its recent output, exit and escalating stop; shared by services and nats-server. */
export interface Child {
  readonly pid: number | undefined;
  /** Resolves once, when the process has exited (or failed to spawn); never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** Set when the process could not be spawned at all (e.g. ENOENT). */
  spawnError(): Error | undefined;
  hasExited(): boolean;
  lines(): string[];
  /** Sends `signal`, waits up to `killAfterMs`, then SIGKILLs the whole tree. */
  stop(signal: NodeJS.Signals, killAfterMs: number): Promise<void>;
  /** SIGKILL to the process and everything it started, at once. */
  killTree(): void;
}

// After `exit`, stdio can stay open for a while (or for ever, when a surviving grandchild
// inherited it), so the exit is reported at most this long after the process ended.
const stdioGraceMs = 200;

export function startChild(options: ChildOptions): Child {
  const keep = options.keepLines ?? 200;
  const recent: string[] = [];
  let failure: Error | undefined;
  let exitInfo: ExitInfo | undefined;

  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: definedOnly(options.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });

  const onLine = (line: string): void => {
    recent.push(line);
    if (recent.length > keep) recent.shift();
    options.onLine?.(line);
  };
  readLines(child.stdout, onLine);
  readLines(child.stderr, onLine);

  const exited = new Promise<ExitInfo>((resolve) => {
    let closed = false;
    const finish = (info: ExitInfo): void => {
      if (exitInfo) return;
      exitInfo = info;
      resolve(info);
    };
    child.once("close", (code, signal) => {
      closed = true;
      finish({ code, signal });
    });
    child.once("exit", (code, signal) => {
      if (!closed) setTimeout(() => finish({ code, signal }), stdioGraceMs).unref();
    });
    child.once("error", (error) => {
      // `error` also fires when a signal cannot be delivered; only a failed spawn ends the child.
      if (child.pid !== undefined) return;
      failure = error;
      finish({ code: null, signal: null });
    });
  });

  const killTree = (): void => {
    const pid = child.pid;
    if (pid === undefined || exitInfo) return;
    const tree = descendants(pid);
    signalPid(pid, "SIGKILL");
    for (const descendant of tree) signalPid(descendant, "SIGKILL");
  };

  return {
    pid: child.pid,
    exited,
    spawnError: () => failure,
    hasExited: () => exitInfo !== undefined,
    lines: () => [...recent],
    killTree,
    async stop(signal, killAfterMs) {
      const pid = child.pid;
      if (pid === undefined || exitInfo) return;
      const tree = descendants(pid);
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), killAfterMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) killTree();
      await exited;
      // A wrapper that did not pass the signal on leaves its children behind when it exits.
      for (const descendant of tree) if (isAlive(descendant)) signalPid(descendant, "SIGKILL");
    },
  };
}

function readLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}
