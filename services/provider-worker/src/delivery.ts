import { decodeJson, type BusConnection } from "@switchyard/bus";
import { JobStarted, type Names } from "@switchyard/contracts";
import type { Clock } from "./clock.js";
import type { Patiently } from "./patience.js";

/** The facts of a job message its delivery number comes from; `JsMsg["info"]` has them. */
export interface DeliveryInfo {
  readonly deliveryCount: number;
  /** When the stream stored the job (the server's clock). */
  readonly timestampNanos: number;
}

export interface DeliveryDeps {
  jsm: Pick<BusConnection["jsm"], "streams">;
  names: Names;
  clock: Clock;
  patiently: Patiently;
  /** The job consumer's ack wait: the soonest a crashed delivery is redelivered. */
  ackWaitMs: number;
}

export interface Delivery {
  /** Which delivery of the job this is: attempt ids are `d<number>.a<n>`. */
  readonly number: number;
  /** Whether an earlier delivery may have run the job, so its outcome must be looked for first. */
  readonly maybeRunBefore: boolean;
}

/**
 * Which delivery of its job a message is: JetStream's delivery count, except where the count
 * may be wrong. nats-server before 2.10.14 can hand out the redelivery that follows a worker's
 * crash with a count of 1, or hand it out twice, the second time with a count of 1 (at the ack
 * wait's end it tries the dead pull request of the crashed worker, finds no one there and takes
 * the count back down: nats-server#5305 and #5338; seen here with 2.9.10). Trusting that 1, a
 * redelivered job would skip the look for an earlier outcome (and call the upstream a second
 * time) and reuse the first delivery's attempt ids, which JetStream's duplicate window and the
 * ledger would then drop.
 *
 * A redelivery after a crash comes an ack wait or more after the job was stored, so a "first"
 * delivery of a job that old looks for the last `started` event stored for the job: if there is
 * one, the job may have run before (its outcome is looked for) and the number follows it. A
 * younger job, the usual case, costs no lookup. (`startConsumeLoop`'s pull requests expire
 * before the ack wait ends, which keeps the server from miscounting in the first place.)
 */
export async function deliveryOf(info: DeliveryInfo, jobId: string, deps: DeliveryDeps): Promise<Delivery> {
  if (info.deliveryCount > 1) return { number: info.deliveryCount, maybeRunBefore: true };
  const storedAgoMs = deps.clock.now() - info.timestampNanos / 1e6;
  // Half the ack wait leaves room for skew between the server's clock and this worker's.
  if (storedAgoMs < deps.ackWaitMs / 2) return { number: info.deliveryCount, maybeRunBefore: false };
  const last = await deps.patiently("read the job's last started event", () =>
    deps.jsm.streams.getMessage(deps.names.eventsStream, { last_by_subj: deps.names.eventSubject(jobId, "started") }),
  );
  // No started event: no earlier delivery called the upstream and stored what came of it (a
  // delivery's first event releases its held `started`), so there is no outcome to look for;
  // what ends a job without a call (its deadline, say) is decided the same way again.
  if (!last) return { number: info.deliveryCount, maybeRunBefore: false };
  const started = JobStarted.safeParse(decodeOrNull(last.data));
  // Unreadable, it still shows an earlier delivery.
  return { number: started.success ? started.data.delivery + 1 : 2, maybeRunBefore: true };
}

function decodeOrNull(data: Uint8Array): unknown {
  try {
    return decodeJson(data);
  } catch {
    return null;
  }
}
