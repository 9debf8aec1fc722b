import { Kvm, type KV } from "@nats-io/kv";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { headers as createHeaders } from "@nats-io/transport-node";
import { JOB_RETENTION_MS, JobRecord, type Names } from "@switchyard/contracts";
import { decodeJson, encodeJson } from "./codec.js";
import { StreamPublishError, type StreamClient } from "./stream-publisher.js";
import { ensureMaxAge } from "./topology.js";

export interface StoredRecord {
  record: JobRecord;
  /** KV revision, for compare-and-set updates. */
  revision: number;
}

/**
 * Tracked jobs' current state in a JetStream KV bucket, keyed `<tenant>.<jobId>`: clients that
 * poll every second read NATS, never PostgreSQL. The tenant in the key is also the access
 * check: another tenant's id is simply not found.
 */
export interface StatusStore {
  get(tenant: string, jobId: string): Promise<StoredRecord | null>;
  /** Writes a new record; fails if the job already has one (a retried submit). */
  create(record: JobRecord): Promise<number>;
  put(record: JobRecord): Promise<number>;
  /** Writes only if the record is still at `revision`; throws otherwise. */
  update(record: JobRecord, revision: number): Promise<number>;
  /**
   * Changes a record with `change` under compare-and-set, re-reading after a conflicting
   * write. `change` returns null to leave the record as it is.
   */
  modify(tenant: string, jobId: string, change: (current: JobRecord) => JobRecord | null): Promise<JobRecord | null>;
  /**
   * `modify` for a writer that keeps the record between its writes: it starts from `known` (the
   * record as this process last stored or read it) instead of reading it, which saves a KV read
   * whenever nobody else wrote in between; after a conflicting write it reads and retries as
   * `modify` does. Resolves with the record as stored and its revision, to pass on next time.
   */
  revise(
    tenant: string,
    jobId: string,
    change: (current: JobRecord) => JobRecord | null,
    known?: StoredRecord | null,
  ): Promise<StoredRecord | null>;
  /**
   * The tenant's job ids, oldest first (ids begin with their creation time). A removed job's
   * purge marker keeps its key listed; `get` answers null for it.
   */
  listIds(tenant: string): Promise<string[]>;
  /** The record now and after every change, until the iterator is stopped. */
  watch(tenant: string, jobId: string): Promise<AsyncIterable<JobRecord> & { stop(): void }>;
  remove(tenant: string, jobId: string): Promise<void>;
}

const MAX_CAS_RETRIES = 10;
const EMPTY = new Uint8Array(0);
/** A KV key as nats.js accepts one: no wildcards, no empty tokens, so it names exactly one subject. */
const VALID_KEY = /^[-/=\w]+(\.[-/=\w]+)*$/;
/** JetStream's err_code for a compare-and-set write whose expected revision is not the key's last. */
const WRONG_LAST_SEQUENCE = 10071;

function subjectKey(k: string): string {
  if (!VALID_KEY.test(k)) throw new Error(`invalid status key: ${JSON.stringify(k.slice(0, 100))}`);
  return k;
}

/** Every write goes through the pipelined publisher, whose refusals carry JetStream's err_code. */
function isConflict(error: unknown): boolean {
  return error instanceof StreamPublishError && error.code === WRONG_LAST_SEQUENCE;
}

/** The stream behind the status bucket, named as nats.js names a bucket's stream. */
const statusStream = (names: Names): string => `KV_${names.statusBucket}`;

function decodeRecord(value: Uint8Array): JobRecord {
  return JobRecord.parse(decodeJson(value));
}

/**
 * Reads and writes go to the bucket's stream through `client`, as nats.js's KV client does
 * (a direct get of the key's last message; a publish to its subject), but without nats.js's
 * per-call request machinery (a timer, a promise race and two Errors built for every call):
 * an async job makes four writes and a read, and a polling client a read a second. A
 * compare-and-set write carries `Nats-Expected-Last-Subject-Sequence`, as `kv.update` does.
 * Watching and purging stay with nats.js's `kv`.
 */
export function createStatusStore(
  kv: KV,
  jsm: JetStreamManager,
  names: Names,
  client: StreamClient,
  /** Whether the bucket's stream answers direct gets (`allow_direct`); reads go through nats.js otherwise. */
  options: { directGets: boolean },
): StatusStore {
  const key = (record: Pick<JobRecord, "tenant" | "id">) => names.statusKey(record.tenant, record.id);
  const subjectPrefix = `$KV.${names.statusBucket}.`;
  const directGetPrefix = `$JS.API.DIRECT.GET.${statusStream(names)}.${subjectPrefix}`;
  /** The key's last entry: its revision and value, or its delete/purge marker; null if it never had one. */
  const lastEntry = async (k: string): Promise<{ revision: number; deleted: boolean; value: Uint8Array } | null> => {
    if (!options.directGets) {
      const entry = await kv.get(k);
      if (!entry) return null;
      return { revision: entry.revision, deleted: entry.operation !== "PUT", value: entry.value };
    }
    const answer = await client.request(directGetPrefix + subjectKey(k), EMPTY);
    const headers = answer.headers;
    if (headers?.code === 404) return null;
    const revision = Number(headers?.get("Nats-Sequence"));
    if (!headers || headers.hasError || !Number.isSafeInteger(revision)) {
      throw new Error(`unexpected answer to a status read: ${headers?.code ?? ""} ${headers?.description ?? ""}`);
    }
    const operation = headers.get("KV-Operation");
    return { revision, deleted: operation === "DEL" || operation === "PURGE", value: answer.data };
  };
  /** Writes the record; with `expected`, only if the key's last revision is that (0: no value yet). */
  const write = async (k: string, record: JobRecord, expected?: number): Promise<number> => {
    const headers = createHeaders();
    if (expected !== undefined) headers.set("Nats-Expected-Last-Subject-Sequence", String(expected));
    return (await client.publish(subjectPrefix + subjectKey(k), encodeJson(record), { headers })).seq;
  };
  /** As `kv.create`: a key whose last entry is a delete or purge marker counts as absent. */
  const create = async (record: JobRecord): Promise<number> => {
    const k = key(record);
    try {
      return await write(k, record, 0);
    } catch (error) {
      if (!isConflict(error)) throw error;
      const entry = await lastEntry(k);
      if (entry?.deleted) return write(k, record, entry.revision);
      throw error;
    }
  };
  const get = async (tenant: string, jobId: string): Promise<StoredRecord | null> => {
    const entry = await lastEntry(names.statusKey(tenant, jobId));
    if (!entry || entry.deleted || entry.value.length === 0) return null;
    return { record: decodeRecord(entry.value), revision: entry.revision };
  };
  const revise: StatusStore["revise"] = async (tenant, jobId, change, known) => {
    let current = known ?? (await get(tenant, jobId));
    // Whether `current` was just read: only a fresh record may say that nothing needs writing.
    let fresh = !known;
    for (let i = 0; i < MAX_CAS_RETRIES; i++) {
      if (!current) return null;
      const next = change(current.record);
      if (!next) {
        if (fresh) return current;
      } else {
        try {
          const revision = await write(names.statusKey(tenant, jobId), next, current.revision);
          return { record: next, revision };
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
      current = await get(tenant, jobId);
      fresh = true;
    }
    throw new Error(`could not update job ${jobId}: too many concurrent writers`);
  };
  return {
    get,
    create,
    put: (record) => write(key(record), record),
    update: (record, revision) => write(key(record), record, revision),
    modify: async (tenant, jobId, change) => (await revise(tenant, jobId, change))?.record ?? null,
    revise,
    listIds: async (tenant) => {
      const prefix = names.statusKey(tenant, "");
      // The subjects of the bucket's stream, from one stream-info request. `kv.keys()` walks an
      // ordered consumer instead, which against nats-server 2.9 returns a key twice when it is
      // written during the walk and can stall until timeout (nats-server#3481).
      const tenantPrefix = subjectPrefix + prefix;
      const info = await jsm.streams.info(statusStream(names), { subjects_filter: `${tenantPrefix}*` });
      return Object.keys(info.state.subjects ?? {})
        .map((subject) => subject.slice(tenantPrefix.length))
        .sort();
    },
    watch: async (tenant, jobId) => {
      const iterator = await kv.watch({ key: names.statusKey(tenant, jobId) });
      const records = (async function* () {
        for await (const entry of iterator) {
          if (entry.operation === "PUT" && entry.value.length > 0) yield decodeRecord(entry.value);
        }
      })();
      return Object.assign(records, { stop: () => iterator.stop() });
    },
    remove: async (tenant, jobId) => {
      await kv.purge(names.statusKey(tenant, jobId));
    },
  };
}

/**
 * Opens (creating if needed) the status bucket; writes go through the connection's pipelined
 * publisher. A record is kept `retentionMs` after its last write (`JOB_RETENTION_MS`).
 */
export async function openStatusStore(
  bus: { readonly js: JetStreamClient; readonly publisher: StreamClient },
  names: Names,
  options: { replicas?: number; retentionMs?: number } = {},
): Promise<StatusStore> {
  const retentionMs = options.retentionMs ?? JOB_RETENTION_MS;
  const kv = await new Kvm(bus.js).create(names.statusBucket, { history: 1, replicas: options.replicas ?? 1 });
  const jsm = await bus.js.jetstreamManager();
  const config = await ensureMaxAge(jsm, statusStream(names), retentionMs);
  // A bucket made by an older client or by hand may lack direct gets; nats.js creates it with them.
  return createStatusStore(kv, jsm, names, bus.publisher, { directGets: config.allow_direct === true });
}
