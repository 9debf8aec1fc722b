import type { FastifyInstance, FastifyRequest } from "fastify";
import { BrokerError, JobCreateRequest, KIND_OF_JOB_TYPE, type JobObject, type JobRecord } from "@switchyard/contracts";
import type { IngressDeps } from "../deps.js";
import { parseBody } from "../validation.js";
import { identifyJob } from "../jobs/job-identity.js";
import { getRecordOr404, parseJobIdParam, submitTrackedJob, type TrackedContext } from "../jobs/tracked.js";
import { parseTrackedRequest } from "../jobs/tracked-request.js";
import { cancelTrackedJob } from "../jobs/tracked-cancel.js";
import { listBody, listRecords, parseListQuery } from "../jobs/tracked-list.js";
import { renderJobObject, type RenderContext } from "../jobs/job-object.js";
import { createUrlSigner } from "../artifacts/signed-urls.js";
import { createQueuePositions, createQueueStates } from "../jobs/queue-position.js";
import { assertWebhookUrlAllowed, systemResolver, type WebhookUrlPolicy } from "../webhooks/url-policy.js";
import { registerJobEventRoutes } from "./jobs-events.js";
import { allowEmptyJsonBody } from "./jobs-empty-body.js";

export type JobRenderer = (record: JobRecord) => Promise<JobObject>;

interface IdParams {
  Params: { id: string };
}

/**
 * The job API: `POST /v1/jobs` (202 once JetStream stored the job), `GET /v1/jobs/{id}`,
 * `POST /v1/jobs/{id}/cancel`, `GET /v1/jobs` and `GET /v1/jobs/{id}/events` (SSE).
 * Everything is read from the tenant's status records, never from PostgreSQL.
 */
export function registerJobRoutes(app: FastifyInstance, deps: IngressDeps, ctx: TrackedContext): void {
  void app.register(async (scope) => {
    allowEmptyJsonBody(scope);
    registerRoutes(scope, deps, ctx);
  });
}

function registerRoutes(app: FastifyInstance, deps: IngressDeps, ctx: TrackedContext): void {
  const policy: WebhookUrlPolicy = {
    allowPrivate: deps.config.webhookAllowPrivate,
    resolve: deps.resolveHost ?? systemResolver,
  };
  const signer = createUrlSigner(deps.config.signingSecret);
  const { publicUrl, imageUrlTtlS } = deps.config;
  const queueStates = createQueueStates(ctx.bus.jsm, ctx.names);
  /** One request's renderer: queue state is fetched once per family, image links share one expiry. */
  const rendererFor = (request: FastifyRequest): JobRenderer => {
    const context: RenderContext = {
      images: {
        artifacts: ctx.artifacts,
        signer,
        // Behind a proxy PUBLIC_URL names the origin: the Host header is the client's word.
        baseUrl: publicUrl ?? `${request.protocol}://${request.host}`,
        expires: Math.floor(ctx.clock.now() / 1000) + imageUrlTtlS,
      },
      queuePosition: createQueuePositions(queueStates),
    };
    return (record) => renderJobObject(record, context);
  };

  app.post("/v1/jobs", async (request, reply) => {
    const body = parseBody(JobCreateRequest, request.body);
    const kind = KIND_OF_JOB_TYPE[body.type];
    const { model, request: jobRequest } = parseTrackedRequest(kind, body.body, deps.catalog, "body");
    if (body.webhook) await assertWebhookUrlAllowed(body.webhook.url, policy);

    const { id, idempotencyKey } = identifyJob(request, reply, "job", ctx.clock.now());

    const record = await submitTrackedJob(ctx, {
      id,
      kind,
      model,
      tenant: request.tenant,
      request: jobRequest,
      webhook: body.webhook,
      metadata: body.metadata,
      idempotencyKey,
    });
    return reply.code(202).send(await rendererFor(request)(record));
  });

  app.get<IdParams>("/v1/jobs/:id", async (request) => {
    return rendererFor(request)(await getRecordOr404(ctx, request.tenant, parseJobIdParam(request.params.id)));
  });

  app.post<IdParams>("/v1/jobs/:id/cancel", async (request) => {
    const id = parseJobIdParam(request.params.id);
    const { record, cancelled } = await cancelTrackedJob(ctx, request.tenant, id);
    if (!cancelled) {
      throw new BrokerError(`The job '${id}' is already ${record.status} and cannot be cancelled.`, {
        status: 409,
        type: "invalid_request_error",
        code: "job_not_cancellable",
        param: "id",
      });
    }
    return rendererFor(request)(record);
  });

  app.get("/v1/jobs", async (request) => {
    const query = parseListQuery(request.query);
    const page = await listRecords(ctx, request.tenant, query);
    const data = await Promise.all(page.records.map(rendererFor(request)));
    return listBody(data, page.hasMore);
  });

  registerJobEventRoutes(app, ctx, rendererFor);
}
