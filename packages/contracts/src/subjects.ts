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
  familyJobsFilter(family: string): string;
  familyConsumer(family: string): string;
  eventSubject(jobId: string, type: JobEventType): string;
  jobEventsFilter(jobId: string): string;
  readonly allEventsFilter: string;
  readonly ledgerConsumer: string;
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
    familyJobsFilter: (family) => `${p}jobs.${family}.>`,
    familyConsumer: (family) => `worker-${family}`,
    eventSubject: (jobId, type) => `${p}events.${jobId}.${type}`,
    jobEventsFilter: (jobId) => `${p}events.${jobId}.>`,
    allEventsFilter: `${p}events.>`,
    ledgerConsumer: "ledger",
  };
}
