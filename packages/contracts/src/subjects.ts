import type { ModelKind } from "./openai/models.js";
import type { JobEventType } from "./events.js";

/**
 * Every stream, subject and consumer name Switchyard uses, derived from one optional
 * namespace. Production leaves it empty (`JOBS`, `jobs.openai.chat`); tests give each suite its
 * own (`T1_JOBS`, `t1.jobs.openai.chat`) because JetStream refuses overlapping streams.
 *
 * @example
 * const names = createNames("");
 * names.jobSubject("openai", "chat"); // "jobs.openai.chat"
 */
export interface Names {
  readonly namespace: string;
  readonly jobsStream: string;
  readonly eventsStream: string;
  jobSubject(family: string, kind: ModelKind): string;
  /**
   * A keyed job's subject (`jobs.<family>.<kind>.<jobId>`): its message can be found by id for
   * as long as the work queue holds it (queued or running), which outlasts JetStream's
   * duplicate window when the job or its queue is slow.
   */
  keyedJobSubject(family: string, kind: ModelKind, jobId: string): string;
  familyJobsFilter(family: string): string;
  familyConsumer(family: string): string;
  eventSubject(jobId: string, type: JobEventType): string;
  jobEventsFilter(jobId: string): string;
  readonly allEventsFilter: string;
  /** Events of one type over all jobs, e.g. `events.*.webhook`. */
  eventTypeFilter(type: JobEventType): string;
  /**
   * The `WEBHOOKS` work queue: a copy of the terminal event of each job that asked for a
   * webhook, so the dispatcher reads those jobs only, not every job's events.
   */
  readonly webhooksStream: string;
  webhookSubject(jobId: string): string;
  readonly allWebhooksFilter: string;
  readonly webhooksConsumer: string;
  readonly ledgerConsumer: string;
  /**
   * Core NATS: a streamed job's tokens, worker to ingress. A request (empty, with a reply
   * subject) is the worker's probe: the ingress answers it while its client still reads.
   */
  tokenSubject(jobId: string): string;
  /** Core NATS: the ingress's flow-control credits for a streamed job, ingress to worker. */
  flowSubject(jobId: string): string;
  /** Core NATS: where a job's worker tells the ingress process `instance` how the job ended (`<subject>.<type>`). */
  replySubject(instance: string, jobId: string): string;
  /** Core NATS: every reply to the ingress process `instance`. */
  repliesFilter(instance: string): string;
  /** Core NATS: cancel a running job, ingress to worker. */
  cancelSubject(jobId: string): string;
  /** KV bucket of tracked jobs' records, keyed `<tenant>.<jobId>`. */
  readonly statusBucket: string;
  statusKey(tenant: string, jobId: string): string;
  /** KV bucket of long-running upstream task ids, keyed by job id. */
  readonly tasksBucket: string;
  /** Object store of generated images and videos. */
  readonly artifactsBucket: string;
}

const NAMESPACE = /^[a-z0-9_-]*$/;

export function createNames(namespace = ""): Names {
  if (!NAMESPACE.test(namespace)) throw new Error(`invalid namespace '${namespace}': use [a-z0-9_-]`);
  const p = namespace ? `${namespace}.` : "";
  const P = namespace ? `${namespace.toUpperCase().replaceAll("-", "_")}_` : "";
  return {
    namespace,
    jobsStream: `${P}JOBS`,
    eventsStream: `${P}EVENTS`,
    jobSubject: (family, kind) => `${p}jobs.${family}.${kind}`,
    keyedJobSubject: (family, kind, jobId) => `${p}jobs.${family}.${kind}.${jobId}`,
    familyJobsFilter: (family) => `${p}jobs.${family}.>`,
    familyConsumer: (family) => `worker-${family}`,
    eventSubject: (jobId, type) => `${p}events.${jobId}.${type}`,
    jobEventsFilter: (jobId) => `${p}events.${jobId}.>`,
    allEventsFilter: `${p}events.>`,
    eventTypeFilter: (type) => `${p}events.*.${type}`,
    webhooksStream: `${P}WEBHOOKS`,
    webhookSubject: (jobId) => `${p}webhooks.${jobId}`,
    allWebhooksFilter: `${p}webhooks.>`,
    webhooksConsumer: "webhooks",
    ledgerConsumer: "ledger",
    tokenSubject: (jobId) => `${p}tokens.${jobId}`,
    flowSubject: (jobId) => `${p}flow.${jobId}`,
    cancelSubject: (jobId) => `${p}cancel.${jobId}`,
    replySubject: (instance, jobId) => `${p}replies.${instance}.${jobId}`,
    repliesFilter: (instance) => `${p}replies.${instance}.>`,
    statusBucket: `${P}job_status`,
    statusKey: (tenant, jobId) => `${tenant}.${jobId}`,
    tasksBucket: `${P}job_tasks`,
    artifactsBucket: `${P}artifacts`,
  };
}
