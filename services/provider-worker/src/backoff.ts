import type { BrokerError } from "@switchyard/contracts";

export interface BackoffConfig {
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Longest server-requested delay worth waiting for on the same route. */
  readonly maxRetryAfterMs: number;
}

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): a uniform delay in [0, min(max, base·2^(attempt-1))). Full jitter spreads the
 * retries of many jobs that failed together, which is what a 503 burst produces.
 *
 * @example
 * backoffDelay(3, { backoffBaseMs: 200, backoffMaxMs: 5000 }); // somewhere in [0, 800)
 */
export function backoffDelay(
  attempt: number,
  config: Pick<BackoffConfig, "backoffBaseMs" | "backoffMaxMs">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export type RetryDecision =
  { action: "retry"; delayMs: number } | { action: "next-route"; reason: "retry-after-too-long" };

/**
 * How to follow a retryable error on the same route. The upstream's own delay (Retry-After,
 * Gemini's RetryInfo) wins over our backoff when it is within `maxRetryAfterMs`; a longer one
 * means this route is out for a while, so the job moves on rather than sleeping.
 */
export function retryDecision(
  error: Pick<BrokerError, "retryAfterMs">,
  attempt: number,
  config: BackoffConfig,
  random: () => number = Math.random,
): RetryDecision {
  const requested = error.retryAfterMs;
  if (requested === undefined) return { action: "retry", delayMs: backoffDelay(attempt, config, random) };
  if (requested > config.maxRetryAfterMs) return { action: "next-route", reason: "retry-after-too-long" };
  return { action: "retry", delayMs: requested };
}
