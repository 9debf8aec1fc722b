import { ServiceUnavailableError, randomId, type Names } from "@switchyard/contracts";
import type { IngressBus } from "../deps.js";
import { decodeTerminal, type Outcome, type OutcomeWatch } from "./await-outcome.js";
import { QUEUE_UNAVAILABLE } from "./submit.js";

/**
 * Where this ingress process hears how its synchronous jobs ended: one core subscription to
 * `replies.<instance>.>` for all of them. A job carries `replyTo` (see `JobSubmitted`) and its
 * worker sends the stored terminal event to `<replyTo>.<type>`. Compared with a subscription per
 * request to the job's `events.<jobId>.>`, a request costs no SUB and UNSUB, and the ingress
 * never receives the `started` and `attempt` events it would only skip.
 */
export interface OutcomeInbox {
  /** The `replyTo` of a job whose end this process waits for. */
  replyTo(jobId: string): string;
  /** Waits for the job's terminal reply until `timeoutMs`; open it before publishing the job. */
  watch(jobId: string, timeoutMs: number): OutcomeWatch;
  /** Requests waiting now (for tests and shutdown checks). */
  waiting(): number;
  close(): void;
}

type Waiter = (outcome: Outcome) => void;

/**
 * @example
 * const inbox = openOutcomeInbox(bus.nc, names);
 * const watch = inbox.watch(job.id, 30_000);
 * await publishJob(bus, names, { ...job, replyTo: inbox.replyTo(job.id) });
 * const outcome = await watch.outcome;
 */
export function openOutcomeInbox(nc: IngressBus["nc"], names: Names, instance = randomId(12)): OutcomeInbox {
  // Several requests may wait on one job id: retries carrying the same Idempotency-Key.
  const waiters = new Map<string, Set<Waiter>>();
  const prefixLength = names.repliesFilter(instance).length - 1; // up to the job id

  let sub: ReturnType<IngressBus["nc"]["subscribe"]> | undefined;
  let closedError: ServiceUnavailableError | undefined;
  const failAll = (error: ServiceUnavailableError): void => {
    closedError ??= error;
    for (const set of [...waiters.values()]) for (const waiter of [...set]) waiter(error);
  };

  try {
    sub = nc.subscribe(names.repliesFilter(instance), {
      callback: (error, msg) => {
        if (error) return failAll(new ServiceUnavailableError("Lost the job replies subscription.", { cause: error }));
        // `<prefix><jobId>.<type>`; the job id holds no dots.
        const rest = msg.subject.slice(prefixLength);
        const jobId = rest.slice(0, rest.indexOf("."));
        const set = waiters.get(jobId);
        if (!set) return; // the request is gone (client left, deadline passed)
        const outcome = decodeTerminal(msg.subject, msg.data, jobId);
        for (const waiter of [...set]) waiter(outcome);
      },
    });
    // The connection closed under us (it drains only after the HTTP server stopped).
    void sub.closed.then(() => failAll(new ServiceUnavailableError("The connection to the job queue closed.")));
  } catch (cause) {
    closedError = new ServiceUnavailableError(QUEUE_UNAVAILABLE, { cause });
  }

  return {
    replyTo: (jobId) => names.replySubject(instance, jobId),

    watch: (jobId, timeoutMs) => {
      if (closedError) throw closedError;
      let settle!: (outcome: Outcome) => void;
      const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
      let done = false;
      const finish: Waiter = (result) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const set = waiters.get(jobId);
        set?.delete(finish);
        if (set?.size === 0) waiters.delete(jobId);
        settle(result);
      };
      const timer = setTimeout(() => finish("timeout"), timeoutMs);
      const set = waiters.get(jobId) ?? new Set<Waiter>();
      set.add(finish);
      waiters.set(jobId, set);
      return { outcome, resolve: finish, cancel: () => finish("aborted") };
    },

    waiting: () => {
      let n = 0;
      for (const set of waiters.values()) n += set.size;
      return n;
    },

    close: () => {
      if (sub && !sub.isClosed()) sub.unsubscribe();
      failAll(new ServiceUnavailableError("The server is shutting down. Please retry."));
    },
  };
}
