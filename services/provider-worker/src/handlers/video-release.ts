import type { Model, Route } from "@switchyard/catalog";
import type { TaskStore, UpstreamTask } from "@switchyard/bus";
import { DeadlineExceededError, type JobSubmitted } from "@switchyard/contracts";
import type { ProviderSource } from "../attempts.js";
import type { JobContext, Outcome } from "../job-context.js";
import type { Logger } from "../logger.js";
import type { Patiently } from "../patience.js";

/** A delete is one short call; the job has ended whatever it answers. */
const RELEASE_TIMEOUT_MS = 10_000;

export interface ReleaseDeps {
  providers: ProviderSource;
  logger: Logger;
}

/**
 * Whether the job ended without anyone to collect its video: cancelled by the client, or out
 * of time. A worker shutting down does not cancel (the job is redelivered and resumes the
 * task), and a task that failed upstream has nothing left to stop.
 */
export function abandonsTask(ctx: Pick<JobContext, "cancelReason">, outcome: Outcome): boolean {
  // Finished before the cancel took hold: the video is stored, nothing was abandoned.
  if (outcome.type === "completed") return false;
  if (ctx.cancelReason() !== null) return true;
  return outcome.type === "failed" && outcome.error instanceof DeadlineExceededError;
}

/**
 * Deletes the upstream task of an abandoned video job, so the provider stops generating (and
 * billing) a clip nobody will download. Best effort: a failure is logged and the job's outcome
 * stands, as the task would only run to its end unseen.
 */
export async function releaseVideoTask(
  jobId: string,
  task: UpstreamTask,
  route: Route,
  deps: ReleaseDeps,
): Promise<void> {
  const adapter = deps.providers.forRoute(route);
  if (!adapter.deleteVideoTask) return;
  try {
    await adapter.deleteVideoTask(task.taskId, {
      signal: AbortSignal.timeout(Math.min(route.timeoutMs, RELEASE_TIMEOUT_MS)),
    });
    deps.logger.info("deleted the upstream task of an abandoned video job", {
      jobId,
      taskId: task.taskId,
      route: route.id,
    });
  } catch (error) {
    deps.logger.warn("could not delete the upstream task of an abandoned video job", {
      jobId,
      taskId: task.taskId,
      route: route.id,
      error,
    });
  }
}

export interface SavedTaskDeps extends ReleaseDeps {
  taskStore: Pick<TaskStore, "get">;
  patiently: Patiently;
}

/**
 * Deletes the upstream task an earlier delivery of a video job submitted, when this delivery
 * ends the job without running it: cancelled while it waited for redelivery (its worker died),
 * past its deadline, or out of deliveries. Without this the task would run to its end unseen.
 */
export async function releaseSavedTask(
  job: JobSubmitted,
  model: Model | undefined,
  deps: SavedTaskDeps,
): Promise<void> {
  const task = await deps.patiently("read the video task", () => deps.taskStore.get(job.id));
  if (!task) return;
  const route = model?.routes.find((r) => r.id === task.route);
  if (!route) {
    deps.logger.warn("cannot delete the upstream task of an abandoned video job: its route is gone", {
      jobId: job.id,
      taskId: task.taskId,
      route: task.route,
    });
    return;
  }
  await releaseVideoTask(job.id, task, route, deps);
}
