import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ArtifactStore } from "@switchyard/bus";
import type { Catalog, Model } from "@switchyard/catalog";
import { ImageGenerationRequest, InvalidRequestError } from "@switchyard/contracts";
import type { IngressDeps } from "../deps.js";
import { parseBody } from "../validation.js";
import { resolveModel } from "../jobs/resolve-model.js";
import { identifyJob } from "../jobs/job-identity.js";
import { buildJob } from "../jobs/submit.js";
import { runJobSync, type SyncJobContext } from "../jobs/run-sync.js";
import { replyWithOutcome } from "../jobs/reply-outcome.js";
import { createUrlSigner } from "../artifacts/signed-urls.js";
import { renderImagesResponse, type ImageFormat } from "../artifacts/images-response.js";
import { registerImageFileRoute } from "./images-files.js";

/** Without a model, the first image model of the catalog draws. */
function defaultImageModel(catalog: Pick<Catalog, "listModels">): Model {
  const model = catalog.listModels().find((m) => m.kind === "image");
  if (!model) throw new InvalidRequestError("No image model is available; name one in 'model'.", { param: "model" });
  return model;
}

/** OpenAI's defaults: gpt-image models answer base64 only; dall-e-style models answer links. */
function defaultFormat(model: Model): ImageFormat {
  return model.id.startsWith("gpt-image") ? "b64_json" : "url";
}

/** The origin links point at. Behind a proxy set PUBLIC_URL: the Host header is the client's word. */
function baseUrl(publicUrl: string | undefined, request: FastifyRequest): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

/**
 * `POST /v1/images/generations`: an `image` job on `jobs.<family>.image`, waited for like a
 * synchronous chat, answered in OpenAI's images shape; and `GET /v1/images/files/*`, where
 * `url` results point.
 */
export function registerImageRoutes(
  app: FastifyInstance,
  deps: IngressDeps,
  artifacts: ArtifactStore,
  ctx: SyncJobContext,
): void {
  const signer = createUrlSigner(deps.config.signingSecret);
  const { requestTimeoutMs, imageUrlTtlS, publicUrl } = deps.config;

  app.post("/v1/images/generations", async (request, reply) => {
    const body = parseBody(ImageGenerationRequest, request.body);
    const model =
      body.model === undefined ? defaultImageModel(deps.catalog) : resolveModel(deps.catalog, body.model, "image");
    const format = body.response_format ?? defaultFormat(model);

    const { id, idempotencyKey } = identifyJob(request, reply, "job", ctx.clock.now());

    const job = buildJob({
      id,
      kind: "image",
      model,
      tenant: request.tenant,
      request: Object.assign({}, body, { model: model.id }),
      now: ctx.clock.now(),
      timeoutMs: requestTimeoutMs,
      idempotencyKey,
    });
    const result = replyWithOutcome(reply, await runJobSync(ctx, job, reply.raw));
    if (result === undefined) return undefined;
    return renderImagesResponse(result, id, {
      format,
      artifacts,
      signer,
      baseUrl: baseUrl(publicUrl, request),
      expires: Math.floor(ctx.clock.now() / 1000) + imageUrlTtlS,
    });
  });

  registerImageFileRoute(app, { artifacts, signer, clock: ctx.clock });
}
