import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, signalPid } from "./process-tree.js";

/** The pid and port a running server wrote to `postmaster.pid`; undefined when none runs. */
export async function runningPostmaster(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  let text: string;
  try {
    text = await readFile(join(clusterDir, "postmaster.pid"), "utf8");
  } catch {
    return undefined;
  }
  // Line 1 is the pid, line 4 the port (see miscadmin.h, LOCK_FILE_LINE_*).
  const lines = text.split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return { pid, port };
}

/**
 * Fast shutdown (SIGINT: roll back sessions, checkpoint, exit); immediate shutdown (SIGQUIT)
 * if that takes longer than `timeoutMs`, which costs a crash recovery at the next start.
 */
export async function stopPostmaster(pid: number, timeoutMs = 15_000): Promise<void> {
  signalPid(pid, "SIGINT");
  if (await exitsWithin(pid, timeoutMs)) return;
  signalPid(pid, "SIGQUIT");
  if (await exitsWithin(pid, 5_000)) return;
  signalPid(pid, "SIGKILL");
}

async function exitsWithin(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
