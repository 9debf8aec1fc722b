import type { FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import { TERMINAL_JOB_STATUSES, VideoResult, type JobRecord } from "@switchyard/contracts";
import type { IngressDeps } from "../deps.js";
import { identifyJob } from "../jobs/job-identity.js";
import { fromStore, getRecordOr404, submitTrackedJob, type TrackedContext } from "../jobs/tracked.js";
import { parseTrackedRequest } from "../jobs/tracked-request.js";
import { cancelTrackedJob } from "../jobs/tracked-cancel.js";
import { listBody, listRecords, parseListQuery } from "../jobs/tracked-list.js";
import { toVideoObject } from "../jobs/job-object.js";
import { readVideoForm, videoFormLimits } from "./videos-form.js";
import { registerVideoContentRoute } from "./videos-content.js";
import { allowEmptyJsonBody } from "./jobs-empty-body.js";
import { videoIdParam, videoNotFound, type VideoParams } from "./videos-ids.js";

/**
 * The OpenAI Videos API over tracked jobs of kind `video`: create (JSON or multipart with an
 * `input_reference` image), retrieve, list, delete and download the content. Registered as
 * its own plugin so the multipart parser exists for these routes only: everywhere else a
 * multipart body is still a 415.
 */
export function registerVideoRoutes(app: FastifyInstance, deps: IngressDeps, ctx: TrackedContext): void {
  const maxFileBytes = deps.config.videoInputMaxBytes;

  void app.register(async (scope) => {
    await scope.register(multipart, { limits: videoFormLimits(maxFileBytes), throwFileSizeLimit: true });
    allowEmptyJsonBody(scope);

    scope.post("/v1/videos", async (request, reply) => {
      const { id, idempotencyKey } = identifyJob(request, reply, "video", ctx.clock.now());

      const form = request.isMultipart()
        ? await readVideoForm(request, maxFileBytes)
        : { fields: request.body, inputReference: undefined };
      const { model, request: jobRequest } = parseTrackedRequest("video", form.fields, deps.catalog);
      const upload = form.inputReference;
      const artifact = `${id}/input_reference`;
      if (upload) jobRequest["input_reference"] = artifact;

      // Only an upload this request stored is removed on failure: a keyed retry must not remove the first one's.
      let stored = false;
      try {
        const record = await submitTrackedJob(ctx, {
          id,
          kind: "video",
          model,
          tenant: request.tenant,
          request: jobRequest,
          webhook: undefined,
          metadata: undefined,
          idempotencyKey,
          beforePublish: upload
            ? async () => {
                await fromStore(() => ctx.artifacts.put(artifact, upload.data, upload.contentType));
                stored = true;
              }
            : undefined,
        });
        return toVideoObject(record);
      } catch (error) {
        if (stored) await ctx.artifacts.remove(artifact).catch(() => undefined);
        throw error;
      }
    });

    scope.get<VideoParams>("/v1/videos/:id", async (request) => {
      return toVideoObject(await getRecordOr404(ctx, request.tenant, videoIdParam(request.params.id), videoNotFound));
    });

    scope.get("/v1/videos", async (request) => {
      const page = await listRecords(ctx, request.tenant, parseListQuery(request.query), "video_");
      return listBody(page.records.map(toVideoObject), page.hasMore);
    });

    scope.delete<VideoParams>("/v1/videos/:id", async (request) => {
      const id = videoIdParam(request.params.id);
      const record = await getRecordOr404(ctx, request.tenant, id, videoNotFound);
      if (!TERMINAL_JOB_STATUSES.includes(record.status)) await cancelTrackedJob(ctx, request.tenant, id);
      // The record goes last: if anything before fails, the delete can simply be retried.
      await fromStore(() => Promise.all(artifactNames(record).map((name) => ctx.artifacts.remove(name))));
      await fromStore(() => ctx.statusStore.remove(request.tenant, id));
      return { id, object: "video.deleted", deleted: true };
    });

    registerVideoContentRoute(scope, ctx);
  });
}

/**
 * Every artifact a video job may have: the upload, and the MP4 (stored even if the job was
 * cancelled meanwhile). Names outside the job's own prefix are never touched, whatever the
 * result says.
 */
function artifactNames(record: JobRecord): string[] {
  const names = new Set([`${record.id}/input_reference`, `${record.id}/video.mp4`]);
  const result = VideoResult.safeParse(record.result);
  if (result.success) {
    names.add(result.data.artifact);
    if (result.data.thumbnail !== undefined) names.add(result.data.thumbnail);
  }
  return [...names].filter((name) => name.startsWith(`${record.id}/`));
}
