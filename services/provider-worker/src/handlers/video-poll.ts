import type { Route } from "@switchyard/catalog";
import type { ArtifactStore, UpstreamTask } from "@switchyard/bus";
import { BrokerError, DeadlineExceededError, type VideoResult } from "@switchyard/contracts";
import type { VideoTaskState } from "@switchyard/providers";
import { untilAborted } from "../abort.js";
import { JobCancelledError, requireMethod, toBrokerError, type AttemptConfig, type AttemptDeps } from "../attempts.js";
import { backoffDelay } from "../backoff.js";
import { callSignal } from "../call-signal.js";
import { failed, type JobContext, type Outcome } from "../job-context.js";
import type { Patiently } from "../patience.js";

export interface VideoConfig extends AttemptConfig {
  /** Time between two polls of one upstream task (jittered). */
  readonly videoPollMs: number;
}

export interface VideoDeps extends AttemptDeps {
  config: VideoConfig;
  artifacts: Pick<ArtifactStore, "put">;
  patiently: Patiently;
}

export interface PollInput {
  task: UpstreamTask;
  route: Route;
  /** Submission attempts made by this delivery (0 when it resumed a saved task). */
  attempts: number;
  /** The task as the submission answered, if this delivery submitted it. */
  state: VideoTaskState | null;
  /** Seconds requested, billed when the upstream does not report its own. */
  seconds: number;
}

export const videoArtifactName = (jobId: string): string => `${jobId}/video.mp4`;

/** ±20 % around the interval, so hundreds of jobs started together do not poll in lockstep. */
function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (0.8 + 0.4 * random()));
}

type Call<T> = { ok: true; value: T } | { ok: false; error: BrokerError };

/**
 * One upstream call that must not fail the job over a passing error: retryable failures are
 * retried with backoff (or the upstream's Retry-After) until the deadline. Each job's handler
 * awaits its own timers, so one process polls many tasks side by side.
 */
async function persist<T>(
  ctx: JobContext,
  deps: VideoDeps,
  timeoutMs: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<Call<T>> {
  const random = deps.random ?? Math.random;
  for (let failures = 0; ;) {
    if (ctx.signal.aborted) return { ok: false, error: new JobCancelledError() };
    const remaining = ctx.job.deadlineAt - deps.clock.now();
    if (remaining <= 0) return { ok: false, error: new DeadlineExceededError() };
    const armed = callSignal(Math.min(timeoutMs, remaining), ctx.signal);
    try {
      return {
        ok: true,
        value: await untilAborted(
          Promise.resolve().then(() => call(armed.signal)),
          armed.signal,
        ),
      };
    } catch (thrown) {
      const error = toBrokerError(thrown);
      if (ctx.signal.aborted) continue;
      if (!error.retryable) return { ok: false, error };
      failures++;
      const delay = error.retryAfterMs ?? deps.config.videoPollMs + backoffDelay(failures, deps.config, random);
      await deps.clock.sleep(delay, ctx.signal);
    } finally {
      armed.release();
    }
  }
}

/**
 * Polls the upstream task until it ends, publishing progress as it changes; a finished task's
 * MP4 goes to the artifact store and the job completes with it.
 */
export async function pollVideo(ctx: JobContext, input: PollInput, deps: VideoDeps): Promise<Outcome> {
  const { task, route } = input;
  const facts = { route: route.id, attempts: input.attempts };
  const adapter = deps.providers.forRoute(route);
  const random = deps.random ?? Math.random;
  let state = input.state;
  let reported = state?.progress ?? -1;

  for (;;) {
    if (state === null) {
      const polled = await persist(ctx, deps, route.timeoutMs, (signal) =>
        requireMethod(adapter, "getVideoTask", route)(task.taskId, { signal }),
      );
      if (!polled.ok) return failed(polled.error, facts);
      state = polled.value;
    }
    if (state.progress > reported) {
      reported = state.progress;
      await ctx.progress({ progress: state.progress, upstreamTaskId: task.taskId });
    }
    switch (state.status) {
      case "completed":
        return deliver(ctx, input, state, deps);
      case "failed": {
        const message = state.error?.message ?? "the upstream video task failed";
        return failed(
          new BrokerError(message, { status: 502, code: state.error?.code ?? "video_generation_failed" }),
          facts,
        );
      }
      case "queued":
      case "in_progress":
        break;
    }
    state = null;
    await deps.clock.sleep(jittered(deps.config.videoPollMs, random), ctx.signal);
  }
}

async function deliver(ctx: JobContext, input: PollInput, state: VideoTaskState, deps: VideoDeps): Promise<Outcome> {
  const { task, route } = input;
  const facts = { route: route.id, attempts: input.attempts };
  const adapter = deps.providers.forRoute(route);
  // A download takes as long as the file needs; the adapter bounds each gap between its chunks.
  const download = await persist(ctx, deps, Number.POSITIVE_INFINITY, (signal) =>
    requireMethod(adapter, "downloadVideo", route)(task.taskId, { signal }),
  );
  if (!download.ok) return failed(download.error, facts);
  const { bytes, contentType } = download.value;
  const name = videoArtifactName(ctx.job.id);
  const stored = await deps.patiently("store the video", () => deps.artifacts.put(name, bytes, contentType));
  const result: VideoResult = { artifact: stored.name, contentType: stored.contentType, bytes: stored.bytes };
  return {
    type: "completed",
    ...facts,
    result,
    usage: null,
    units: { images: 0, videoSeconds: state.seconds ?? input.seconds },
  };
}
