import type { BusConnection } from "@switchyard/bus";
import { CancelRequest } from "@switchyard/contracts";
import type { CancelReason } from "./job-context.js";
import { subscribeJson } from "./subscribe-json.js";

/** A running job's cancellation: requests from the ingress, or the worker's own decision. */
export interface Cancellation {
  readonly signal: AbortSignal;
  reason(): CancelReason | null;
  cancel(reason: CancelReason): void;
  /** Stops listening; call when the job is finished. */
  close(): void;
}

/** A cancellation only the worker itself triggers: for jobs no client can cancel (synchronous chat). */
export function localCancellation(): Cancellation {
  const controller = new AbortController();
  let reason: CancelReason | null = null;
  return {
    signal: controller.signal,
    reason: () => reason,
    cancel: (why) => {
      if (reason !== null) return;
      reason = why;
      controller.abort(new Error(`job cancelled (${why})`));
    },
    close: () => undefined,
  };
}

/**
 * Listens on the job's cancel subject (core NATS). Subscribe before reading the status record:
 * the ingress writes `cancelled` to the record and then publishes the request, so one of the
 * two is always seen, and a cancel never slips in between.
 */
export function listenForCancel(nc: Pick<BusConnection["nc"], "subscribe">, subject: string): Cancellation {
  const local = localCancellation();
  const sub = subscribeJson(nc, subject, CancelRequest, (request) => local.cancel(request.reason));
  return { ...local, close: () => sub.close() };
}
