import { createJobId, type JobRecord } from "@switchyard/contracts";

/** A queued chat job's status record with a fresh id, for the stores' tests. */
export function queuedRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    version: 1,
    id: createJobId(),
    tenant: "tenant-s",
    kind: "chat",
    family: "openai",
    model: "gpt-4o-mini",
    status: "queued",
    progress: 0,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    request: {},
    metadata: null,
    webhook: null,
    error: null,
    result: null,
    usage: null,
    jobsSeq: null,
    upstreamTaskId: null,
    ...overrides,
  };
}
