/**
 * Everything this package started in the current process, so `stopAll()` can stop it and a
 * normal exit of the parent does not leave orphans behind.
 */
export interface Tracked {
  /** Services stop before the infrastructure they depend on. */
  kind: "service" | "infrastructure";
  stop(): Promise<void>;
  /** Last resort from the `exit` event, where nothing asynchronous can run: signal and go. */
  signalNow(): void;
}

const tracked = new Set<Tracked>();
let exitHookInstalled = false;

export function track(entry: Tracked): () => void {
  tracked.add(entry);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Only a normal exit (or process.exit) reaches here. A parent killed by a signal cannot
    // clean up; Ctrl-C in a terminal signals the whole process group, children included.
    process.on("exit", () => {
      for (const entry of tracked) entry.signalNow();
    });
  }
  return () => {
    tracked.delete(entry);
  };
}

/**
 * Stops every service process, then every nats-server and embedded PostgreSQL, that this
 * package started in this process and that is still running. Safe to call more than once.
 *
 * @example
 * process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
 */
export async function stopAll(): Promise<void> {
  const failures: unknown[] = [];
  for (const kind of ["service", "infrastructure"] as const) {
    const entries = [...tracked].filter((entry) => entry.kind === kind);
    for (const result of await Promise.allSettled(entries.map((entry) => entry.stop()))) {
      if (result.status === "rejected") failures.push(result.reason);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, "some processes did not stop cleanly");
}
