import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { JOB_RETENTION_MS, type Names } from "@switchyard/contracts";

const ms = (n: number): number => n * 1_000_000;

/**
 * Sets a bucket's stream to drop messages older than `maxAgeMs`, whoever made it: nats.js
 * applies a bucket's `ttl` only when it creates the bucket, so one made earlier (by an older
 * version, or by a service started first with another setting) would keep its own. Resolves with
 * the stream's configuration as it then stands.
 */
export async function ensureMaxAge(jsm: JetStreamManager, stream: string, maxAgeMs: number): Promise<StreamConfig> {
  const { config } = await jsm.streams.info(stream);
  const maxAge = ms(maxAgeMs);
  if (config.max_age === maxAge) return config;
  // JetStream refuses a duplicate window longer than the max age (only a short retention has one).
  const duplicateWindow = Math.min(config.duplicate_window, maxAge);
  return (await jsm.streams.update(stream, { ...config, max_age: maxAge, duplicate_window: duplicateWindow })).config;
}

export interface StreamOptions {
  /** 1 on a single server, 3 on a cluster. */
  replicas?: number;
  /** How long retried publishes with the same Nats-Msg-Id are recognised as duplicates. */
  duplicateWindowMs?: number;
  /** Events are the ledger's input and the audit trail; keep them long enough to replay. */
  eventsMaxAgeMs?: number;
}

async function upsertStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    // Retention and storage cannot change on an existing stream, so only mutable fields are updated.
    const { retention: _r, storage: _s, ...mutable } = config;
    await jsm.streams.update(config.name, mutable);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.streams.add(config);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message);
}

/**
 * Creates or updates the `JOBS` work queue, the `EVENTS` log and the `WEBHOOKS` work queue.
 * Idempotent: every service calls it at start, so any one of them can bring up an empty server.
 */
export async function ensureStreams(jsm: JetStreamManager, names: Names, options: StreamOptions = {}): Promise<void> {
  const p = names.namespace ? `${names.namespace}.` : "";
  const duplicateWindow = ms(options.duplicateWindowMs ?? 120_000);
  await upsertStream(jsm, {
    name: names.jobsStream,
    subjects: [`${p}jobs.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    num_replicas: options.replicas ?? 1,
    duplicate_window: duplicateWindow,
  });
  await upsertStream(jsm, {
    name: names.eventsStream,
    subjects: [`${p}events.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: duplicateWindow,
    max_age: ms(options.eventsMaxAgeMs ?? JOB_RETENTION_MS),
  });
  // A webhook waits here until its last attempt; acking it removes it.
  await upsertStream(jsm, {
    name: names.webhooksStream,
    subjects: [`${p}webhooks.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: duplicateWindow,
  });
}

/**
 * Deletes every stream of a namespace: the three above and the ones behind its key-value
 * buckets and object store. For throwaway namespaces (tests, benchmarks): on a shared server
 * their messages would otherwise pile up, run after run. Streams that do not exist are skipped.
 *
 * @example
 * await deleteNamespaceStreams(bus.jsm, createNames("t1a2b3c"));
 */
export async function deleteNamespaceStreams(jsm: JetStreamManager, names: Names): Promise<void> {
  const streams = [
    names.jobsStream,
    names.eventsStream,
    names.webhooksStream,
    `KV_${names.statusBucket}`,
    `KV_${names.tasksBucket}`,
    `OBJ_${names.artifactsBucket}`,
  ];
  for (const stream of streams) {
    try {
      await jsm.streams.delete(stream);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

export interface WorkerConsumerOptions {
  /** Without an ack or a `working()` call within this time, the job goes to another worker. */
  ackWaitMs?: number;
  /** Deliveries before the worker publishes `failed` instead of trying again (see the worker). */
  maxDeliver?: number;
}

/** A durable consumer's ack wait unless its service sets one. */
export const DEFAULT_ACK_WAIT_MS = 30_000;

/** The durable pull consumer shared by every worker process of one family. */
export async function ensureWorkerConsumer(
  jsm: JetStreamManager,
  names: Names,
  family: string,
  options: WorkerConsumerOptions = {},
): Promise<string> {
  const name = names.familyConsumer(family);
  const config = {
    durable_name: name,
    filter_subject: names.familyJobsFilter(family),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ms(options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    max_deliver: options.maxDeliver ?? 5,
    max_ack_pending: 10_000,
  };
  await upsertConsumer(jsm, names.jobsStream, name, config);
  return name;
}

/** The ledger's durable consumer over every event. */
export async function ensureLedgerConsumer(
  jsm: JetStreamManager,
  names: Names,
  options: { ackWaitMs?: number } = {},
): Promise<string> {
  const name = names.ledgerConsumer;
  await upsertConsumer(jsm, names.eventsStream, name, {
    durable_name: name,
    filter_subject: names.allEventsFilter,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ms(options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    max_deliver: -1,
    max_ack_pending: 20_000,
  });
  return name;
}

export interface FilteredConsumerOptions {
  /** Without an ack within this time the message is redelivered; longer than one handling takes. */
  ackWaitMs?: number;
  /** Deliveries before JetStream stops redelivering; -1 (the default) leaves giving up to the handler. */
  maxDeliver?: number;
  /** Messages delivered and not yet acked (nak'ed with a delay included) before delivery pauses. */
  maxAckPending?: number;
}

/**
 * A durable pull consumer over one filter subject of `stream`. nats-server 2.9 allows a single
 * `filter_subject` per consumer, so a service that wants several subjects creates one each.
 *
 * @example
 * await ensureFilteredConsumer(jsm, names.eventsStream, "webhooks-completed", names.eventTypeFilter("completed"));
 */
export async function ensureFilteredConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
  filter: string,
  options: FilteredConsumerOptions = {},
): Promise<string> {
  await upsertConsumer(jsm, stream, name, {
    durable_name: name,
    filter_subject: filter,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ms(options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    max_deliver: options.maxDeliver ?? -1,
    max_ack_pending: options.maxAckPending ?? 10_000,
  });
  return name;
}

async function upsertConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
  config: Parameters<JetStreamManager["consumers"]["add"]>[1],
): Promise<void> {
  try {
    await jsm.consumers.info(stream, name);
    const { durable_name: _d, filter_subject: _f, deliver_policy: _p, ack_policy: _a, ...mutable } = config;
    await jsm.consumers.update(stream, name, mutable);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(stream, config);
  }
}

/** True when every stream exists: the ingress's readiness check. */
export async function streamsPresent(jsm: JetStreamManager, names: Names): Promise<boolean> {
  try {
    await Promise.all(
      [names.jobsStream, names.eventsStream, names.webhooksStream].map((stream) => jsm.streams.info(stream)),
    );
    return true;
  } catch {
    return false;
  }
}
