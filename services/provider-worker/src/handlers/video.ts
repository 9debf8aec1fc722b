import { basename } from "node:path";
import type { ArtifactStore, TaskStore, UpstreamTask } from "@switchyard/bus";
import { BrokerError, InvalidRequestError, VideoCreateRequest } from "@switchyard/contracts";
import type { VideoCreateOptions, VideoTaskState } from "@switchyard/providers";
import { requireMethod, runAttempts } from "../attempts.js";
import { failed, type JobContext, type JobHandler, type Outcome } from "../job-context.js";
import { pollVideo, type VideoDeps } from "./video-poll.js";
import { abandonsTask, releaseVideoTask, type ReleaseDeps } from "./video-release.js";
import { parseRequest } from "./parse-request.js";

export interface VideoHandlerDeps extends VideoDeps, ReleaseDeps {
  artifacts: Pick<ArtifactStore, "put" | "getBytes" | "info">;
  taskStore: TaskStore;
}

/** OpenAI's default clip length, billed when the upstream does not say. */
const DEFAULT_SECONDS = 4;

type Submitted =
  { ok: true; task: UpstreamTask; state: VideoTaskState | null; attempts: number } | { ok: false; outcome: Outcome };

/**
 * Long-running video generation. The upstream task is submitted once per job: its id is saved
 * in the task store the moment the upstream answers, and a redelivered job (the worker died,
 * or its ack was lost) finds it there and resumes polling. The submission itself carries the
 * job id as `Idempotency-Key`, which covers a crash between the upstream's answer and the save.
 * A job cancelled or out of time deletes its task upstream, which stops the generation.
 */
export function createVideoHandler(deps: VideoHandlerDeps): JobHandler {
  return async (ctx) => {
    const parsed = parseRequest(VideoCreateRequest, ctx.job.request);
    if (!parsed.ok) return failed(parsed.error);
    const { input_reference: reference, ...request } = parsed.data;
    const seconds = request.seconds !== undefined ? Number(request.seconds) : DEFAULT_SECONDS;

    let task = await deps.patiently("read the video task", () => deps.taskStore.get(ctx.job.id));
    let state: VideoTaskState | null = null;
    let attempts = 0;
    if (!task) {
      const submitted = await submit(ctx, request, reference, deps);
      if (!submitted.ok) return submitted.outcome;
      ({ task, state, attempts } = submitted);
    }
    const route = ctx.model.routes.find((r) => r.id === task.route);
    if (!route) {
      const error = new BrokerError(`the video task runs on route '${task.route}', which the catalog no longer has`, {
        status: 500,
        code: "route_unsupported",
      });
      return failed(error, { route: task.route, attempts });
    }
    const outcome = await pollVideo(ctx, { task, route, attempts, state, seconds }, deps);
    if (abandonsTask(ctx, outcome)) await releaseVideoTask(ctx.job.id, task, route, deps);
    return outcome;
  };
}

async function submit(
  ctx: JobContext,
  request: VideoCreateRequest,
  reference: unknown,
  deps: VideoHandlerDeps,
): Promise<Submitted> {
  const { job } = ctx;
  const options: Omit<VideoCreateOptions, "signal"> = { idempotencyKey: job.id };
  if (reference !== undefined) {
    const loaded = await loadReference(reference, job.id, deps);
    if (loaded instanceof BrokerError) return { ok: false, outcome: failed(loaded) };
    options.inputReference = loaded;
  }
  const outcome = await runAttempts(
    {
      job,
      routes: ctx.model.routes,
      delivery: ctx.delivery,
      signal: ctx.signal,
      call: (adapter, route, signal) =>
        requireMethod(adapter, "createVideoTask", route)(request, { ...options, signal }),
      // The upstream may have made the task already; only with its id can a cancelled job delete it.
      finishCallOnCancel: true,
      httpStatus: () => null,
    },
    { ...deps, onAttempt: ctx.emit },
  );
  if (!outcome.ok) {
    return {
      ok: false,
      outcome: failed(outcome.error, { route: outcome.route?.id ?? null, attempts: outcome.attempts }),
    };
  }
  const created = outcome.result;
  const mine: UpstreamTask = { taskId: created.taskId, route: outcome.route.id, submittedAt: deps.clock.now() };
  // First save wins: if another delivery of this job saved a task meanwhile, that one is polled.
  const task = await deps.patiently("save the video task", () => deps.taskStore.save(job.id, mine));
  const state = task.taskId === created.taskId ? created : null;
  await ctx.progress({ progress: state?.progress ?? 0, upstreamTaskId: task.taskId });
  return { ok: true, task, state, attempts: outcome.attempts };
}

/** The reference image the ingress stored from the client's `input_reference` upload. */
async function loadReference(
  name: unknown,
  jobId: string,
  deps: VideoHandlerDeps,
): Promise<NonNullable<VideoCreateOptions["inputReference"]> | BrokerError> {
  const invalid = (message: string) => new InvalidRequestError(message, { param: "input_reference" });
  if (typeof name !== "string" || name.length === 0) return invalid("input_reference must name an uploaded file");
  // Only the job's own upload: a name pointing elsewhere would read another job's (tenant's) file.
  if (!name.startsWith(`${jobId}/`)) return invalid("input_reference must be this job's own upload");
  const [bytes, info] = await Promise.all([
    deps.patiently("read the input reference", () => deps.artifacts.getBytes(name)),
    deps.patiently("read the input reference", () => deps.artifacts.info(name)),
  ]);
  if (!bytes) return invalid("the input_reference upload is no longer stored");
  return { bytes, contentType: info?.contentType || "application/octet-stream", filename: basename(name) };
}
