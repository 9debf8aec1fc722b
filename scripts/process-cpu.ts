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

/** The whole machine's CPU ticks so far, and those stolen by the hypervisor for other guests. */
function hostTicks(): { total: number; steal: number } {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guests are inside user.
    return { total: ticks.slice(0, 8).reduce((a, b) => a + b, 0), steal: ticks[7] ?? 0 };
  } catch {
    return { total: 0, steal: 0 };
  }
}

function sample(groups: readonly ProcessGroup[]): Map<string, Map<number, number>> {
  return new Map(groups.map((g) => [g.name, new Map(g.pids().map((pid) => [pid, cpuMs(pid)]))]));
}

/**
 * Runs `work` and reports each group's CPU over it, in ms of CPU per request (`requests` read
 * from the work's result), and their `total`; `hostStealPct` is the share of the machine's CPU
 * time the hypervisor gave to other guests meanwhile (a noisy neighbour). A process that
 * started during the work counts from zero.
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
  const hostBefore = hostTicks();
  const result = await work;
  const after = sample(groups);
  const hostAfter = hostTicks();
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
  const hostTotal = hostAfter.total - hostBefore.total;
  cpuMsPerRequest["hostStealPct"] =
    hostTotal > 0 ? Number(((100 * (hostAfter.steal - hostBefore.steal)) / hostTotal).toFixed(1)) : 0;
  return { result, cpuMsPerRequest };
}
