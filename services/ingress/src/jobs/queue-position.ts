import type { JobRecord, Names } from "@switchyard/contracts";
import type { IngressBus } from "../deps.js";

/** A queued job's position for one answer; consumer state is fetched once per family per answer. */
export type QueuePositions = (record: JobRecord) => Promise<number | null>;

interface FamilyQueue {
  /** Stream sequence of the last job the family's workers were handed. */
  delivered: number;
  /** Jobs of the family not handed to a worker yet. */
  pending: number;
}

/** A family's queue state as of some moment after the call. */
export type QueueStates = (family: string) => Promise<FamilyQueue | null>;

/**
 * The family consumers' state, one JetStream request shared by concurrent answers. A call
 * joins only a request sent after it began, so the state it gets is never older than the
 * caller's own submission (a new job's answer counts the job): while a request is out, calls
 * wait for one follow-up request that starts when it returns. Every `POST /v1/jobs` answers
 * with a queue position, and one consumer-info request per submission cost nats-server and the
 * ingress as much as a status-record write; under load, a request now serves every answer that
 * arrived during the one before it. Null when the consumer cannot be read (no worker of the
 * family has ever connected).
 */
export function createQueueStates(jsm: IngressBus["jsm"], names: Names): QueueStates {
  /** Per family: the request out now, and the follow-up callers wait for while it is. */
  const families = new Map<
    string,
    { out: Promise<FamilyQueue | null> | null; next: Promise<FamilyQueue | null> | null }
  >();
  const stateOf = (family: string) => {
    let state = families.get(family);
    if (!state) families.set(family, (state = { out: null, next: null }));
    return state;
  };
  return (family) => {
    const s = stateOf(family);
    const send = (): Promise<FamilyQueue | null> => {
      const request = jsm.consumers.info(names.jobsStream, names.familyConsumer(family)).then(
        (info) => ({ delivered: info.delivered.stream_seq, pending: info.num_pending }),
        () => null,
      );
      s.out = request;
      void request.then(() => {
        if (s.out === request) s.out = null;
      });
      return request;
    };
    if (s.next) return s.next;
    if (!s.out) return send();
    const next = s.out.then(() => {
      s.next = null;
      return send();
    });
    s.next = next;
    return next;
  };
}

/**
 * How many jobs of the same family are ahead of a queued one, from the family consumer's state
 * and the job's JOBS sequence. JOBS holds every family, so the sequence gap overcounts when
 * families interleave; the consumer's pending count bounds it from the other side. Approximate
 * by design, never negative, and null when unknown (no sequence stored yet, or no state).
 *
 * @example
 * const positions = createQueuePositions(createQueueStates(bus.jsm, names));
 * await positions(record); // 3
 */
export function createQueuePositions(states: QueueStates): QueuePositions {
  const families = new Map<string, Promise<FamilyQueue | null>>();
  const familyQueue = (family: string): Promise<FamilyQueue | null> => {
    let queue = families.get(family);
    if (!queue) families.set(family, (queue = states(family)));
    return queue;
  };
  return async (record) => {
    if (record.status !== "queued" || record.jobsSeq === null) return null;
    const queue = await familyQueue(record.family);
    if (!queue) return null;
    if (record.jobsSeq <= queue.delivered) return 0;
    return Math.max(0, Math.min(record.jobsSeq - queue.delivered - 1, queue.pending - 1));
  };
}
