export interface RetryPolicyConfig {
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** What became of one attempt, as far as retrying is concerned. */
export interface AttemptResult {
  /** The receiver answered 2xx. */
  delivered: boolean;
  /** Retrying cannot help (a refused destination, no signing secret). */
  permanent: boolean;
  /** The receiver's `Retry-After`, in ms from now. */
  retryAfterMs?: number | undefined;
}

export type NextStep =
  { action: "ack"; outcome: "delivered" | "gave_up" } | { action: "retry"; outcome: "failed"; delayMs: number };

/**
 * Delay before attempt `attempt + 1`: exponential from `backoffBaseMs`, capped at
 * `backoffMaxMs`, with "equal jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * half the step is fixed, half random. The fixed half keeps a receiver that is down from being
 * hit again at once; the random half spreads the retries of many events that failed together.
 *
 * @example
 * backoffDelay(3, { backoffBaseMs: 1000, backoffMaxMs: 300_000 }); // in [2000, 4000)
 */
export function backoffDelay(
  attempt: number,
  config: Pick<RetryPolicyConfig, "backoffBaseMs" | "backoffMaxMs">,
  random: () => number = Math.random,
): number {
  const step = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(step / 2 + random() * (step / 2));
}

/**
 * After attempt number `attempt` (1-based: JetStream's delivery count): acknowledge the event
 * (delivered, or given up for good) or retry it after a delay. A receiver's `Retry-After` is
 * honoured up to `backoffMaxMs`.
 */
export function nextStep(
  result: AttemptResult,
  attempt: number,
  config: RetryPolicyConfig,
  random: () => number = Math.random,
): NextStep {
  if (result.delivered) return { action: "ack", outcome: "delivered" };
  if (result.permanent || attempt >= config.maxAttempts) return { action: "ack", outcome: "gave_up" };
  const delayMs =
    result.retryAfterMs === undefined
      ? backoffDelay(attempt, config, random)
      : Math.min(config.backoffMaxMs, Math.max(0, result.retryAfterMs));
  return { action: "retry", outcome: "failed", delayMs };
}

/**
 * A `Retry-After` header in ms from `now`: delay-seconds or an HTTP date; undefined when absent
 * or unreadable.
 *
 * @example
 * parseRetryAfter("120", Date.now()); // 120000
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with the weekday; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
