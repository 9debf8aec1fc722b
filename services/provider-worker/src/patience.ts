import { backoffDelay, type BackoffConfig } from "./backoff.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";

/** Runs a NATS operation (publish, KV, object store), retrying while NATS is unreachable. */
export type Patiently = <T>(what: string, operation: () => Promise<T>) => Promise<T>;

export interface PatienceDeps {
  clock: Clock;
  config: Pick<BackoffConfig, "backoffBaseMs" | "backoffMaxMs"> & {
    /** How long to keep retrying before the error is thrown to the caller. */
    readonly finalPublishRetryMs: number;
  };
  logger: Logger;
  random?: () => number;
}

/**
 * Retries with backoff (at least 100 ms apart) for up to `finalPublishRetryMs`, then throws
 * the last error. A NATS restart or a cluster leader election is over within that budget; a
 * longer outage is better answered with a nak and a redelivery than with an endless wait.
 *
 * @example
 * const patiently = createPatience({ clock, config, logger });
 * await patiently("store the image", () => artifacts.put(name, bytes, "image/png"));
 */
export function createPatience(deps: PatienceDeps): Patiently {
  return async (what, operation) => {
    const giveUpAt = deps.clock.now() + deps.config.finalPublishRetryMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (deps.clock.now() >= giveUpAt) throw error;
        deps.logger.warn(`${what} failed; retrying`, { attempt, error });
        await deps.clock.sleep(Math.max(100, backoffDelay(attempt, deps.config, deps.random)));
      }
    }
  };
}
