export interface CallSignal {
  /** Aborts at the call's time limit (reason: a `TimeoutError`) or with the job's cancellation. */
  readonly signal: AbortSignal;
  /** Drops the timer and the cancellation listener: call it once the call no longer uses `signal`. */
  release(): void;
}

/**
 * The signal of one upstream call: its time limit, or the job's cancellation, whichever comes
 * first. It does what `AbortSignal.any([AbortSignal.timeout(ms), cancel])` does, at a fraction
 * of the cost: on Node 20 that pair took ~30 µs per call, plus weak references for the GC to
 * trace, about a seventh of a worker's CPU per chat job. Here it is one controller, one timer
 * and one listener, all dropped by `release()`.
 *
 * @example
 * const call = callSignal(route.timeoutMs, job.signal);
 * try {
 *   return await adapter.chat(request, { signal: call.signal });
 * } finally {
 *   call.release();
 * }
 */
export function callSignal(timeoutMs: number, cancel?: AbortSignal): CallSignal {
  const controller = new AbortController();
  if (cancel?.aborted) {
    controller.abort(cancel.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const onCancel = (): void => {
    clearTimeout(timer);
    controller.abort(cancel?.reason);
  };
  const timer = setTimeout(
    () => {
      cancel?.removeEventListener("abort", onCancel);
      controller.abort(new DOMException("The upstream call timed out.", "TimeoutError"));
    },
    // setTimeout fires at once for anything beyond 2^31 - 1 ms (~24.8 days).
    Math.min(Math.max(1, timeoutMs), 2_147_483_647),
  );
  cancel?.addEventListener("abort", onCancel, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      cancel?.removeEventListener("abort", onCancel);
    },
  };
}
