import { setTimeout as sleep } from "node:timers/promises";

const pollIntervalMs = 75;
const requestTimeoutMs = 1_000;

/**
 * Resolves when `url` answers with a 2xx; keeps polling through refused connections and
 * other statuses. Rejects only when `signal` aborts.
 */
export async function waitForHttpOk(url: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    signal.throwIfAborted();
    try {
      const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]) });
      // Drain the body so the keep-alive socket is released.
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet, or the request timed out: try again.
    }
    await sleep(pollIntervalMs, undefined, { signal });
  }
}

/** A copy without the `g` and `y` flags, whose `lastIndex` would make `test()` stateful. */
export function statelessPattern(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
}
