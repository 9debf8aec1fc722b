import { captureTraceContext, type ArtifactStore, type StatusStore } from "@switchyard/bus";
import type { Model } from "@switchyard/catalog";
import {
  JOB_ID_PATTERN,
  JobNotFoundError,
  type BrokerError,
  ServiceUnavailableError,
  type JobIdPrefix,
  type JobRecord,
  type JobSubmitted,
  type ModelKind,
  type Names,
  type WebhookTarget,
} from "@switchyard/contracts";
import { systemClock, type Clock, type IngressBus, type IngressDeps } from "../deps.js";
import { reconcileEarlierJob } from "./earlier-job.js";
import { keyReusedError, requestFingerprint } from "./idempotency.js";
import { assertConnected, publishJob, tooLargeForQueue } from "./submit.js";

/** What the job API and the Videos API share: the status record, the queue and the artifacts. */
export interface TrackedContext {
  readonly bus: IngressBus;
  readonly names: Names;
  readonly clock: Clock;
  readonly statusStore: StatusStore;
  readonly artifacts: ArtifactStore;
  /** How long a tracked job may wait and run (`ASYNC_JOB_TTL_MS`). */
  readonly ttlMs: number;
}

/** The context, or undefined when the app was built without the stores (the routes are then not served). */
export function createTrackedContext(deps: IngressDeps): TrackedContext | undefined {
  if (!deps.statusStore || !deps.artifacts) return undefined;
  return {
    bus: deps.bus,
    names: deps.names,
    clock: deps.clock ?? systemClock,
    statusStore: deps.statusStore,
    artifacts: deps.artifacts,
    ttlMs: deps.config.asyncJobTtlMs,
  };
}

const STORE_UNAVAILABLE = "The job store is unavailable. Please retry shortly.";

/** Runs a status-store call; a store that cannot answer is a 503 the client retries, not a 500. */
export async function fromStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw new ServiceUnavailableError(STORE_UNAVAILABLE, { cause });
  }
}

export type NotFound = (id: string) => BrokerError;

export const jobNotFound: NotFound = (id) => new JobNotFoundError(id);

/**
 * A job id from a URL. Anything but a well-formed id (of the given prefix) is simply not found,
 * and never reaches a KV key or a subject.
 */
export function parseJobIdParam(id: string, notFound: NotFound = jobNotFound, prefix?: JobIdPrefix): string {
  if (!JOB_ID_PATTERN.test(id) || (prefix !== undefined && !id.startsWith(`${prefix}_`))) {
    throw notFound(id.slice(0, 100));
  }
  return id;
}

/** The tenant's record of a job, or a 404 (another tenant's id is simply not found). */
export async function getRecordOr404(
  ctx: TrackedContext,
  tenant: string,
  id: string,
  notFound: NotFound = jobNotFound,
): Promise<JobRecord> {
  const stored = await fromStore(() => ctx.statusStore.get(tenant, id));
  if (!stored) throw notFound(id);
  return stored.record;
}

export interface TrackedSubmission {
  readonly id: string;
  readonly kind: ModelKind;
  readonly model: Model;
  readonly tenant: string;
  /** The validated request body the worker receives. */
  readonly request: Record<string, unknown>;
  readonly webhook: WebhookTarget | undefined;
  readonly metadata: Record<string, string> | undefined;
  readonly idempotencyKey: string | undefined;
  /** Runs once the record exists and before the job is published (storing an upload); a throw withdraws the job. */
  readonly beforePublish?: () => Promise<void>;
}

/**
 * Accepts a tracked job: the record is created first (queued), then the job is published, and
 * only JetStream's ack makes it accepted. The order matters: a worker may take the job the
 * moment it is stored, and its `in_progress` must not be overwritten by a late `queued`.
 *
 * A keyed retry answers the existing record without publishing again, except for a record that
 * never got its ack (the ingress stopped between the two steps, or its publish failed): that
 * one is published again, under the same `Nats-Msg-Id`, so it cannot run twice inside the
 * duplicate window. So is a concurrent request's record: a 202 is only ever sent for a job
 * this request saw stored.
 *
 * If publishing fails (a 503), an unkeyed job's record is removed: the client's retry is a new
 * job, and should the failed publish have been stored after all, a worker that finds no record
 * does not run it. A keyed job's record stays unacked for the retry the 503 invites, which then
 * publishes it under the same message id: removing it would let a stored-but-unacknowledged
 * first publish be dropped by its worker while the retry's publish is dropped as a duplicate.
 */
export async function submitTrackedJob(ctx: TrackedContext, input: TrackedSubmission): Promise<JobRecord> {
  assertConnected(ctx.bus);
  const { statusStore } = ctx;
  const keyed = input.idempotencyKey !== undefined;
  let current = keyed ? await fromStore(() => statusStore.get(input.tenant, input.id)) : null;
  /** Whether this request made the record (rather than finding an unacked one to publish). */
  let created = false;
  if (!current) {
    const fresh = newRecord(input, ctx.clock.now());
    try {
      current = { record: fresh, revision: await statusStore.create(fresh) };
      created = true;
    } catch (cause) {
      const tooLarge = tooLargeForQueue(cause);
      if (tooLarge) throw tooLarge;
      // A concurrent request with the same Idempotency-Key created it first.
      current = await fromStore(() => statusStore.get(input.tenant, input.id));
      if (!current) throw new ServiceUnavailableError(STORE_UNAVAILABLE, { cause });
    }
  }
  // A key names one request: the same kind, model, body, webhook and metadata.
  const requestHash = keyed ? trackedFingerprint(askedBy(input)) : undefined;
  if (requestHash !== undefined && !created && trackedFingerprint(current.record) !== requestHash) {
    const kind = current.record.kind;
    throw keyReusedError(kind === input.kind ? "a different request" : `a ${kind} job`);
  }
  if (!isUnacked(current.record)) return current.record;
  const { record, revision } = current;

  let seq: number;
  let duplicate: boolean;
  try {
    await input.beforePublish?.();
    ({ seq, duplicate } = await publishJob(
      ctx.bus,
      ctx.names,
      trackedJob(record, input.idempotencyKey, requestHash, ctx.ttlMs),
    ));
  } catch (error) {
    if (!keyed) await statusStore.remove(input.tenant, input.id).catch(() => undefined);
    throw error;
  }
  // The sequence only serves the queue position: the job is accepted even if this write fails.
  // Usually nothing touched the record since this request wrote it, so the write goes at that
  // revision without reading it first; `revise` rereads if a fast worker got there in between.
  await statusStore
    .revise(
      input.tenant,
      input.id,
      (current) => (current.jobsSeq === null ? Object.assign({}, current, { jobsSeq: seq }) : null),
      {
        record,
        revision,
      },
    )
    .catch(() => null);
  if (duplicate && created && requestHash !== undefined) {
    const ended = await reconcileEarlierJob(ctx, input, seq, requestHash);
    if (ended) return ended;
  }
  // The answer is the job as accepted (queued), even if a fast worker has already moved it on.
  return Object.assign({}, record, { jobsSeq: seq });
}

/** What a tracked request asked, as its record keeps it. */
type Asked = Pick<JobRecord, "kind" | "model" | "request" | "webhook" | "metadata">;

function askedBy(input: TrackedSubmission): Asked {
  const { kind, request } = input;
  return { kind, model: input.model.id, request, webhook: input.webhook ?? null, metadata: input.metadata ?? null };
}

/** A tracked job's `requestHash`, from a record or from what a submission asks. */
function trackedFingerprint(asked: Asked): string {
  const { kind, model, request, webhook, metadata } = asked;
  return requestFingerprint({ api: "tracked", kind, model, request, webhook, metadata });
}

function isUnacked(record: JobRecord): boolean {
  return record.status === "queued" && record.jobsSeq === null;
}

function newRecord(input: TrackedSubmission, now: number): JobRecord {
  const record: JobRecord = {
    version: 1,
    id: input.id,
    tenant: input.tenant,
    kind: input.kind,
    family: input.model.family,
    model: input.model.id,
    status: "queued",
    progress: 0,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    request: input.request,
    metadata: input.metadata ?? null,
    webhook: input.webhook ?? null,
    error: null,
    result: null,
    usage: null,
    jobsSeq: null,
    upstreamTaskId: null,
  };
  const traceContext = captureTraceContext();
  if (Object.keys(traceContext).length > 0) record.traceContext = traceContext;
  return record;
}

/** The job message of a record; its deadline counts from the record's creation. */
function trackedJob(
  record: JobRecord,
  idempotencyKey: string | undefined,
  requestHash: string | undefined,
  ttlMs: number,
): JobSubmitted {
  const job: JobSubmitted = {
    version: 1,
    id: record.id,
    kind: record.kind,
    family: record.family,
    model: record.model,
    tenant: record.tenant,
    request: record.request,
    createdAt: record.createdAt,
    deadlineAt: record.createdAt + ttlMs,
    tracked: true,
  };
  if (idempotencyKey !== undefined) job.idempotencyKey = idempotencyKey;
  if (requestHash !== undefined) job.requestHash = requestHash;
  if (record.webhook) job.webhook = record.webhook;
  if (record.metadata) job.metadata = record.metadata;
  return job;
}
