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

/**
 * How many jobs of the same family are ahead of a queued one, from the family consumer's state
 * and the job's JOBS sequence. JOBS holds every family, so the sequence gap overcounts when
 * families interleave; the consumer's pending count bounds it from the other side. Approximate
 * by design, never negative, and null when unknown (no sequence stored yet, or no worker of the
 * family has ever connected).
 *
 * @example
 * const positions = createQueuePositions(bus.jsm, names);
 * await positions(record); // 3
 */
export function createQueuePositions(jsm: IngressBus["jsm"], names: Names): QueuePositions {
  const families = new Map<string, Promise<FamilyQueue | null>>();
  const familyQueue = (family: string): Promise<FamilyQueue | null> => {
    let queue = families.get(family);
    if (!queue) {
      queue = jsm.consumers.info(names.jobsStream, names.familyConsumer(family)).then(
        (info) => ({ delivered: info.delivered.stream_seq, pending: info.num_pending }),
        () => null,
      );
      families.set(family, queue);
    }
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
