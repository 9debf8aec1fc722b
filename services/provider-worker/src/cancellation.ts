import type { BusConnection } from "@switchyard/bus";
import { CancelRequest, type Names } from "@switchyard/contracts";
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

/** Cancel requests for the jobs this process is running. */
export interface CancelListener {
  /**
   * The job's cancellation, live from this call on. Call it before reading the job's status
   * record: the ingress writes `cancelled` to the record and then publishes the request, so one
   * of the two is always seen, and a cancel never slips in between.
   */
  listen(jobId: string): Cancellation;
}

/**
 * One core NATS subscription per process on every job's cancel subject, routed here by job id.
 * A subscription per job would cost nats-server a SUB and an UNSUB, and a change to its
 * subject tree, for every tracked or streamed job, where cancels are rare: every worker
 * process now receives each cancel request and drops those for jobs it is not running.
 * The subscription exists from the start, so it is always in place before a job's record is
 * read; it lasts as long as the connection (draining the connection at shutdown ends it).
 *
 * @example
 * const cancels = createCancelListener(bus.nc, names);
 * const cancellation = cancels.listen(job.id); // before the status record is read
 * try { await run(job, cancellation.signal); } finally { cancellation.close(); }
 */
export function createCancelListener(nc: Pick<BusConnection["nc"], "subscribe">, names: Names): CancelListener {
  const prefix = names.cancelSubject("");
  /** Running jobs by id; a set because a redelivery may start while a stalled delivery still runs here. */
  const running = new Map<string, Set<Cancellation>>();
  subscribeJson(nc, names.cancelSubject("*"), CancelRequest, (request, subject) => {
    for (const cancellation of running.get(subject.slice(prefix.length)) ?? []) cancellation.cancel(request.reason);
  });
  return {
    listen: (jobId) => {
      const local = localCancellation();
      let jobs = running.get(jobId);
      if (!jobs) running.set(jobId, (jobs = new Set()));
      jobs.add(local);
      return {
        ...local,
        close: () => {
          jobs.delete(local);
          if (jobs.size === 0 && running.get(jobId) === jobs) running.delete(jobId);
        },
      };
    },
  };
}
