import { Kvm, type KV } from "@nats-io/kv";
import type { JetStreamClient } from "@nats-io/jetstream";
import { JOB_RETENTION_MS, type Names } from "@switchyard/contracts";
import { z } from "zod";
import { decodeJson, encodeJson } from "./codec.js";
import { ensureMaxAge } from "./topology.js";

export const UpstreamTask = z.object({
  /** The upstream's id for the task. */
  taskId: z.string(),
  /** The catalog route the task was submitted to: polling must go to the same one. */
  route: z.string(),
  submittedAt: z.number().int(),
});
export type UpstreamTask = z.infer<typeof UpstreamTask>;

/**
 * Upstream task ids of long-running jobs (video), saved the moment the upstream answers the
 * submission. A worker that picks up a redelivered job finds the task here and resumes
 * polling it: never a second submission, never a second charge.
 */
export interface TaskStore {
  get(jobId: string): Promise<UpstreamTask | null>;
  /** Saves the task; if one is already saved for the job, that one wins and is returned. */
  save(jobId: string, task: UpstreamTask): Promise<UpstreamTask>;
}

export function createTaskStore(kv: KV): TaskStore {
  const get = async (jobId: string): Promise<UpstreamTask | null> => {
    const entry = await kv.get(jobId);
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return null;
    return UpstreamTask.parse(decodeJson(entry.value));
  };
  return {
    get,
    save: async (jobId, task) => {
      try {
        await kv.create(jobId, encodeJson(task));
        return task;
      } catch (error) {
        const existing = await get(jobId);
        if (existing) return existing;
        throw error;
      }
    },
  };
}

/** Opens (creating if needed) the tasks bucket; a task id is kept `retentionMs` (`JOB_RETENTION_MS`). */
export async function openTaskStore(
  js: JetStreamClient,
  names: Names,
  options: { replicas?: number; retentionMs?: number } = {},
): Promise<TaskStore> {
  const retentionMs = options.retentionMs ?? JOB_RETENTION_MS;
  const kv = await new Kvm(js).create(names.tasksBucket, { history: 1, replicas: options.replicas ?? 1 });
  await ensureMaxAge(await js.jetstreamManager(), `KV_${names.tasksBucket}`, retentionMs);
  return createTaskStore(kv);
}
