import type { Clock } from "../clock.js";

export interface ManualClock extends Clock {
  /** Moves time on, waking every sleep that is due, then lets the woken code run. */
  advance(ms: number): Promise<void>;
  /** Sleeps not yet due. */
  readonly pending: number;
}

/** Lets promise callbacks and `setImmediate` work queued so far run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Time that moves only when the test moves it, and sleeps that really wait for it: for code
 * whose behaviour depends on what happens *during* a wait (flow-control stalls, polling).
 */
export function createManualClock(start = 1_750_000_000_000): ManualClock {
  let now = start;
  const sleepers = new Set<{ due: number; wake: () => void }>();
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted || ms <= 0) return resolve();
        const sleeper = {
          due: now + ms,
          wake: () => {
            sleepers.delete(sleeper);
            signal?.removeEventListener("abort", sleeper.wake);
            resolve();
          },
        };
        sleepers.add(sleeper);
        signal?.addEventListener("abort", sleeper.wake, { once: true });
      }),
    advance: async (ms) => {
      const until = now + ms;
      for (;;) {
        const next = [...sleepers].sort((a, b) => a.due - b.due)[0];
        if (!next || next.due > until) break;
        now = Math.max(now, next.due);
        next.wake();
        await settle();
      }
      now = until;
      await settle();
    },
    get pending() {
      return sleepers.size;
    },
  };
}
