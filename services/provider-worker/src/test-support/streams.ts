import type { ChatStreamEvent } from "@switchyard/providers";
import type { FinishReason, Usage } from "@switchyard/contracts";

export const role = (): ChatStreamEvent => ({ type: "delta", delta: { role: "assistant", content: "" } });
export const text = (content: string): ChatStreamEvent => ({ type: "delta", delta: { content } });
export const finish = (finishReason: FinishReason = "stop"): ChatStreamEvent => ({
  type: "finish",
  finishReason,
  httpStatus: 200,
});
export const usageEvent = (usage: Usage): ChatStreamEvent => ({ type: "usage", usage });
/** Usage reported before the end, as Anthropic's `message_start` (prompt only) or Gemini's chunks do. */
export const usageSoFar = (usage: Usage, completionReported = false): ChatStreamEvent => ({
  type: "usage_so_far",
  usage,
  completionReported,
});

/** Resolves in the next macrotask: a fake upstream that waits on its socket between events. */
export const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface ScriptedStream {
  /** Events handed to the worker so far. */
  pulled: number;
  /** The generator's `finally` ran: the worker ended the upstream call. */
  closed: boolean;
  /** The signal the worker passed, for checking that a cancel aborts the upstream. */
  signal: AbortSignal | null;
}

/**
 * A fake upstream stream: yields the script's events one macrotask apart; an `Error` in the
 * script is thrown there; `"hang"` waits until the call's signal aborts (then throws, as undici does).
 */
export function scriptedStream(
  script: Array<ChatStreamEvent | Error | "hang">,
  signal: AbortSignal,
  state: ScriptedStream = { pulled: 0, closed: false, signal: null },
): { events: AsyncIterable<ChatStreamEvent>; state: ScriptedStream } {
  state.signal = signal;
  async function* run(): AsyncGenerator<ChatStreamEvent> {
    try {
      for (const step of script) {
        await nextTick();
        if (step === "hang") {
          await new Promise<never>((_resolve, reject) => {
            const abort = () => reject(new Error("aborted by the caller"));
            if (signal.aborted) abort();
            signal.addEventListener("abort", abort, { once: true });
          });
        } else if (step instanceof Error) {
          throw step;
        } else {
          state.pulled++;
          yield step;
        }
      }
    } finally {
      state.closed = true;
    }
  }
  return { events: run(), state };
}
