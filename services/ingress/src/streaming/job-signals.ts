import { encodeJson, publishCore } from "@switchyard/bus";
import type { CancelRequest, FlowCredit, Names } from "@switchyard/contracts";
import type { IngressBus } from "../deps.js";

/** What the ingress tells the worker running a streamed job, over core NATS. */
export interface JobSignals {
  /** Every chunk up to `seq` is written to the client; sent once per microtask at most. */
  credit(seq: number): void;
  /** Asks the worker to stop; sent once at most. */
  cancel(reason: CancelRequest["reason"]): void;
}

/**
 * Credits that pile up in one turn (a burst of chunks written together) leave as one message
 * with the highest seq. A publish on a closed connection throws; the worker then runs into
 * the job's deadline, which is all that is left to do.
 */
export function createJobSignals(nc: IngressBus["nc"], names: Names, jobId: string): JobSignals {
  let granted = 0;
  let pending = 0;
  let cancelled = false;

  const flush = (): void => {
    if (pending <= granted || cancelled) return;
    granted = pending;
    const credit: FlowCredit = { seq: granted };
    try {
      nc.publish(names.flowSubject(jobId), encodeJson(credit));
    } catch {
      // See above.
    }
  };

  return {
    credit(seq) {
      if (seq <= pending) return;
      if (pending === granted) queueMicrotask(flush);
      pending = seq;
    },
    cancel(reason) {
      if (cancelled) return;
      cancelled = true;
      const request: CancelRequest = { reason };
      try {
        publishCore(nc, names.cancelSubject(jobId), encodeJson(request));
      } catch {
        // See above.
      }
    },
  };
}
