// CPU time of the processes behind a benchmark cell, read from /proc (Linux only), so a run can
// say where each request's CPU went: per process, milliseconds of CPU per request. On a shared
// machine this is steadier than requests per second, and it shows which hop a change helped.
import { readdirSync, readFileSync } from "node:fs";

/** Linux reports process CPU in clock ticks; 100 per second on every mainstream kernel build. */
const TICK_MS = 10;

export interface ProcessGroup {
  /** A label for the table, e.g. `ingress` or `nats-server`. */
  readonly name: string;
  /** Looked up again at every sample, so a process found by name may come and go. */
  pids(): readonly number[];
}

/** Processes whose executable name (`/proc/<pid>/comm`) is `comm`, e.g. every `postgres` backend. */
export function byCommand(name: string, comm: string): ProcessGroup {
  return {
    name,
    pids: () =>
      readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .map(Number)
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
          } catch {
            return false; // ended between the listing and the read
          }
        }),
  };
}

export function byPid(name: string, pid: number): ProcessGroup {
  return { name, pids: () => [pid] };
}

/** User plus system CPU of one process so far, in ms; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

function sample(groups: readonly ProcessGroup[]): Map<string, Map<number, number>> {
  return new Map(groups.map((g) => [g.name, new Map(g.pids().map((pid) => [pid, cpuMs(pid)]))]));
}

/**
 * Runs `work` and reports each group's CPU over it, in ms of CPU per request (`requests` read
 * from the work's result), and their `total`. A process that started during the work counts
 * from zero.
 *
 * @example
 * const { result, cpuMsPerRequest } = await measureCpu(groups, wrk(url, 64, 5, script), (r) => r.requests);
 */
export async function measureCpu<T>(
  groups: readonly ProcessGroup[],
  work: Promise<T>,
  requests: (result: T) => number,
): Promise<{ result: T; cpuMsPerRequest: Record<string, number> }> {
  const before = sample(groups);
  const result = await work;
  const after = sample(groups);
  const n = Math.max(1, requests(result));
  const cpuMsPerRequest: Record<string, number> = {};
  let total = 0;
  for (const [name, pids] of after) {
    let spent = 0;
    for (const [pid, ms] of pids) spent += ms - (before.get(name)?.get(pid) ?? 0);
    cpuMsPerRequest[name] = Number((spent / n).toFixed(3));
    total += spent;
  }
  cpuMsPerRequest["total"] = Number((total / n).toFixed(3));
  return { result, cpuMsPerRequest };
}
