/** Texts longer than this are logged as head + tail, so huge benchmark prompts cannot eat the memory. */
const LOGGED_TEXT_EDGE = 1024;

export interface TextCounter {
  add(text: string): void;
  /** Starts an exact counter for a substring. */
  track(match: string): void;
  /**
   * Texts that contain the substring: exact within the last `logSize` texts, and exact since
   * registration for tracked matches; the larger of the two.
   */
  count(substring: string): number;
  /** Every tracked match with its count. */
  tracked(): Record<string, number>;
  reset(): void;
}

/**
 * Counts texts by substring, for substrings registered beforehand (exact, forever) and for any
 * other substring (exact over a bounded ring buffer of recent texts).
 *
 * @example
 * const counter = createTextCounter(100);
 * counter.add("hello t-1");
 * counter.count("t-1"); // 1
 */
export function createTextCounter(logSize: number): TextCounter {
  let byMatch = new Map<string, number>();
  let log: string[] = [];
  let next = 0;
  return {
    add(text) {
      for (const [match, count] of byMatch) {
        if (text.includes(match)) byMatch.set(match, count + 1);
      }
      const logged =
        text.length <= 2 * LOGGED_TEXT_EDGE
          ? text
          : `${text.slice(0, LOGGED_TEXT_EDGE)}\u0000${text.slice(-LOGGED_TEXT_EDGE)}`;
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
    tracked: () => Object.fromEntries(byMatch),
    reset() {
      byMatch = new Map();
      log = [];
      next = 0;
    },
  };
}
