import type { Dialect } from "./dialect.js";
import { createTextCounter } from "./text-counter.js";

export interface StatsSnapshot {
  requests: number;
  by_dialect: Record<Dialect, number>;
  by_match: Record<string, number>;
  /** Streaming requests whose client went away before the stream finished. */
  streams_aborted: number;
}

export interface RequestStats {
  /** Counts one inference request by the text of its last user message (or its prompt). */
  record(dialect: Dialect, lastUserText: string): void;
  /** Counts one streaming request whose client left before the stream finished. */
  recordAborted(lastUserText: string): void;
  /** Starts an exact counter for a substring (every fault match registers one). */
  track(match: string): void;
  /**
   * Requests whose last user message contains the substring: exact within the last `logSize`
   * requests, and exact since registration for tracked matches; the larger of the two.
   */
  count(substring: string): number;
  /** Aborted streams whose last user message contains the substring, counted the same way. */
  countAborted(substring: string): number;
  /** Every tracked match, for the counters other parts of the sim keep per match. */
  matches(): string[];
  snapshot(): StatsSnapshot;
  reset(): void;
}

/**
 * Request counters for the control API, which tests read to check how many upstream calls
 * really happened (e.g. exactly two after one retry), and how many of them the client cancelled.
 *
 * @example
 * const stats = createRequestStats();
 * stats.record("openai", "hello t-1");
 * stats.count("t-1"); // 1
 */
export function createRequestStats(logSize = 10_000): RequestStats {
  let total = 0;
  let aborted = 0;
  let byDialect: Record<Dialect, number> = { openai: 0, anthropic: 0, gemini: 0 };
  const requests = createTextCounter(logSize);
  const abortedTexts = createTextCounter(logSize);

  return {
    record(dialect, lastUserText) {
      total += 1;
      byDialect[dialect] += 1;
      requests.add(lastUserText);
    },
    recordAborted(lastUserText) {
      aborted += 1;
      abortedTexts.add(lastUserText);
    },
    track(match) {
      requests.track(match);
      abortedTexts.track(match);
    },
    count: (substring) => requests.count(substring),
    countAborted: (substring) => abortedTexts.count(substring),
    matches: () => Object.keys(requests.tracked()),
    snapshot: () => ({
      requests: total,
      by_dialect: { ...byDialect },
      by_match: requests.tracked(),
      streams_aborted: aborted,
    }),
    reset() {
      total = 0;
      aborted = 0;
      byDialect = { openai: 0, anthropic: 0, gemini: 0 };
      requests.reset();
      abortedTexts.reset();
    },
  };
}
