import type { Model } from "@switchyard/catalog";
import type { DeliveryInfo } from "./delivery.js";
import type {
  BillableUnits,
  BrokerError,
  CancelRequest,
  JobEvent,
  JobSubmitted,
  StreamEnd,
  Usage,
} from "@switchyard/contracts";

/** The part of a JetStream message the worker uses; `JsMsg` satisfies it. */
export interface JobMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly info: DeliveryInfo;
  ack(): void;
  nak(millis?: number): void;
  term(reason?: string): void;
  working(): void;
}

export type CancelReason = CancelRequest["reason"];

/**
 * What a kind's handler gets from the consumer: the job, and the shared machinery it must not
 * rebuild (event publishing, progress, cancellation). Handlers never ack; they return an
 * `Outcome` and the consumer records it.
 */
export interface JobContext {
  readonly job: JobSubmitted;
  readonly model: Model;
  /** Which delivery of the job this is (`deliveryOf`): attempt ids are `d<delivery>.a<n>`. */
  readonly delivery: number;
  /** Aborted when the job is cancelled; every upstream call and wait listens to it. */
  readonly signal: AbortSignal;
  /** Why the job was cancelled, once it was. */
  cancelReason(): CancelReason | null;
  /** Cancels the job from inside (a streaming client that stopped reading is gone). */
  cancel(reason: CancelReason): void;
  /** Publishes a non-terminal event in the background; the ack waits for it. */
  emit(event: JobEvent): void;
  /** Publishes a `progress` event and moves a tracked job's status record on. */
  progress(update: { progress: number; upstreamTaskId?: string | null }): Promise<void>;
}

interface OutcomeFacts {
  route: string | null;
  attempts: number;
  usage?: Usage | null;
  units?: BillableUnits | null;
  streamEnd?: StreamEnd | null;
  chunks?: number;
}

/** How a handler's work ended; several endings are normal, so this is a value, not a throw. */
export type Outcome =
  | (OutcomeFacts & { type: "completed"; route: string; result: Record<string, unknown> })
  | (OutcomeFacts & { type: "failed"; error: BrokerError })
  | (OutcomeFacts & { type: "cancelled"; reason: CancelReason });

/** Runs one kind of job (chat, streamed chat, image, video) from start to outcome. */
export type JobHandler = (ctx: JobContext) => Promise<Outcome>;

export function failed(error: BrokerError, facts: Partial<OutcomeFacts> = {}): Outcome {
  return { type: "failed", error, route: null, attempts: 0, ...facts };
}
