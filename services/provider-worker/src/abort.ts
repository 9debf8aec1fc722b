import { UpstreamUnavailableError, type BrokerError } from "@switchyard/contracts";

/** The error for a call our own signal ended: its time limit, or a cancellation. */
export function abortError(signal: AbortSignal): BrokerError {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === "TimeoutError"
    ? new UpstreamUnavailableError("upstream timed out", { code: "upstream_timeout", cause: reason })
    : new UpstreamUnavailableError("upstream call aborted", { code: "upstream_aborted", cause: reason });
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts: a cancelled job must not wait
 * for an upstream (or an adapter) that is slow to notice its signal. A late rejection of
 * `promise` is absorbed.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
