import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connectBus, type BusConnection } from "@switchyard/bus";

export interface PrivateNats {
  readonly url: string;
  /** Kills the server (SIGKILL: an outage, not a shutdown). */
  kill(): Promise<void>;
  /** Kills it if still running and removes its storage. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function binary(): string {
  return existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server";
}

/** A throwaway JetStream server on a free port, for tests that take NATS away. */
export async function startPrivateNats(): Promise<PrivateNats> {
  const dir = mkdtempSync(join(tmpdir(), "ingress-nats-"));
  const port = await freePort();
  const child: ChildProcess = spawn(binary(), ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `nats://127.0.0.1:${port}`;
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  for (let i = 0; i < 100; i++) {
    try {
      const probe = await connectBus({ servers: url, name: "probe" });
      await probe.close();
      return { url, kill, dispose: async () => (await kill(), rmSync(dir, { recursive: true, force: true })) };
    } catch {
      await sleep(50);
    }
  }
  await kill();
  throw new Error(`nats-server did not start on ${url}`);
}

export async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

export type { BusConnection };
