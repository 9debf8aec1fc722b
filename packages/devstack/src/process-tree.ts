import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * Whether a process with this pid is running. EPERM means it exists but belongs to someone
 * else. A zombie counts as gone: a killed grandchild stays one until init reaps it, which
 * some container init processes do only every second or so.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return processInfo(pid)?.state !== "Z";
}

/** Sends a signal, ignoring a process that is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already exited: nothing to do.
  }
}

/**
 * Every process below `pid`, children first. Wrappers such as tsx run the real program in a
 * child process, so a SIGKILL to the wrapper alone would leave that child running.
 */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of parentTable()) {
    const list = children.get(parent) ?? [];
    list.push(child);
    children.set(parent, list);
  }
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

export interface ProcessInfo {
  parent: number;
  /** The command name, e.g. `node` or `postgres`. */
  name: string;
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
}

/** What /proc says about a process (Linux only); undefined elsewhere or when it is gone. */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

function parentTable(): Array<[number, number]> {
  try {
    const rows: Array<[number, number]> = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const info = processInfo(Number(entry));
      if (info) rows.push([Number(entry), info.parent]);
    }
    return rows;
  } catch {
    // No /proc (macOS): ask ps instead.
    const text = execFileSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" });
    return text
      .split("\n")
      .map((line) => line.trim().split(/\s+/).map(Number))
      .filter((cols): cols is [number, number] => cols.length === 2 && cols.every(Number.isInteger))
      .map(([child, parent]) => [child, parent]);
  }
}

// The command name sits in parentheses and may itself contain spaces or parentheses.
function parseStat(stat: string): ProcessInfo | undefined {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const [state, parent] = stat.slice(close + 2).split(" ");
  if (state === undefined || !Number.isInteger(Number(parent))) return undefined;
  return { parent: Number(parent), name: stat.slice(open + 1, close), state };
}
