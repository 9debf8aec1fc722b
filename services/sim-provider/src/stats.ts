import type { Dialect } from "./dialect.js";

/** Texts longer than this are logged as head + tail, so huge benchmark prompts cannot eat the memory. */
const LOGGED_TEXT_EDGE = 1024;

export interface StatsSnapshot {
  requests: number;
  by_dialect: Record<Dialect, number>;
  by_match: Record<string, number>;
}

export interface RequestStats {
  /** Counts one inference request by the text of its last user message. */
  record(dialect: Dialect, lastUserText: string): void;
  /** Starts an exact counter for a substring (every fault match registers one). */
  track(match: string): void;
  /**
   * Requests whose last user message contains the substring: exact within the last `logSize`
   * requests, and exact since registration for tracked matches; the larger of the two.
   */
  count(substring: string): number;
  snapshot(): StatsSnapshot;
  reset(): void;
}

/**
 * Request counters for the control API, which tests read to check how many upstream calls
 * really happened (e.g. exactly two after one retry).
 *
 * @example
 * const stats = createRequestStats();
 * stats.record("openai", "hello t-1");
 * stats.count("t-1"); // 1
 */
export function createRequestStats(logSize = 10_000): RequestStats {
  let total = 0;
  let byDialect: Record<Dialect, number> = { openai: 0, anthropic: 0, gemini: 0 };
  let byMatch = new Map<string, number>();
  // A ring buffer of recent texts, for counting substrings nobody registered beforehand.
  let log: string[] = [];
  let next = 0;

  return {
    record(dialect, lastUserText) {
      total += 1;
      byDialect[dialect] += 1;
      for (const [match, count] of byMatch) {
        if (lastUserText.includes(match)) byMatch.set(match, count + 1);
      }
      const logged =
        lastUserText.length <= 2 * LOGGED_TEXT_EDGE
          ? lastUserText
          : `${lastUserText.slice(0, LOGGED_TEXT_EDGE)}\u0000${lastUserText.slice(-LOGGED_TEXT_EDGE)}`;
      if (log.length < logSize) log.push(logged);
      else log[next] = logged;
      next = (next + 1) % logSize;
    },
    track(match) {
      if (!byMatch.has(match)) byMatch.set(match, 0);
    },
    count(substring) {
      let inLog = 0;
      for (const text of log) if (text.includes(substring)) inLog += 1;
      return Math.max(inLog, byMatch.get(substring) ?? 0);
    },
    snapshot: () => ({ requests: total, by_dialect: { ...byDialect }, by_match: Object.fromEntries(byMatch) }),
    reset() {
      total = 0;
      byDialect = { openai: 0, anthropic: 0, gemini: 0 };
      byMatch = new Map();
      log = [];
      next = 0;
    },
  };
}
