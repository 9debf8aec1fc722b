import type { ArtifactInfo, ArtifactStore, TaskStore, UpstreamTask } from "@switchyard/bus";
import type { Model } from "@switchyard/catalog";
import type { JobEvent, JobSubmitted } from "@switchyard/contracts";
import { localCancellation } from "../cancellation.js";
import type { JobContext } from "../job-context.js";

export interface FakeContext extends JobContext {
  readonly events: JobEvent[];
  readonly progressUpdates: Array<{ progress: number; upstreamTaskId?: string | null }>;
}

/** What the consumer hands a handler, recording what the handler publishes. */
export function fakeContext(job: JobSubmitted, model: Model, delivery = 1): FakeContext {
  const cancellation = localCancellation();
  const events: JobEvent[] = [];
  const progressUpdates: FakeContext["progressUpdates"] = [];
  return {
    job,
    model,
    delivery,
    signal: cancellation.signal,
    cancelReason: cancellation.reason,
    cancel: cancellation.cancel,
    emit: (event) => events.push(event),
    progress: async (update) => {
      progressUpdates.push(update);
    },
    events,
    progressUpdates,
  };
}

/** The task store's contract (first save wins) over a Map, for handler unit tests. */
export function memoryTaskStore(
  initial: Record<string, UpstreamTask> = {},
): TaskStore & { saved: Map<string, UpstreamTask> } {
  const saved = new Map(Object.entries(initial));
  return {
    saved,
    get: async (jobId) => saved.get(jobId) ?? null,
    save: async (jobId, task) => {
      const existing = saved.get(jobId);
      if (existing) return existing;
      saved.set(jobId, task);
      return task;
    },
  };
}

export function memoryArtifacts(): Pick<ArtifactStore, "put" | "getBytes" | "info"> & {
  objects: Map<string, ArtifactInfo & { data: Uint8Array }>;
} {
  const objects = new Map<string, ArtifactInfo & { data: Uint8Array }>();
  return {
    objects,
    put: async (name, data, contentType) => {
      objects.set(name, { name, bytes: data.length, contentType, data });
      return { name, bytes: data.length, contentType };
    },
    getBytes: async (name) => objects.get(name)?.data ?? null,
    info: async (name) => {
      const o = objects.get(name);
      return o ? { name: o.name, bytes: o.bytes, contentType: o.contentType } : null;
    },
  };
}
