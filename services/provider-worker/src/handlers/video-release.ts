import type { Route } from "@switchyard/catalog";
import type { UpstreamTask } from "@switchyard/bus";
import { DeadlineExceededError } from "@switchyard/contracts";
import type { ProviderSource } from "../attempts.js";
import type { JobContext, Outcome } from "../job-context.js";
import type { Logger } from "../logger.js";

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
