import type { FastifyPluginAsync } from "fastify";
import { openAiErrorBody } from "../dialects/openai/errors.js";
import { imagesJson, parseImageRequest, type ImageItem } from "../dialects/openai/images.js";
import { applyFault, pickFault, sendJson } from "../fault-effects.js";
import type { FaultSpec } from "../faults.js";
import { imageFileName, imageRef, parseImageFileName, renderImage } from "../image-files.js";
import type { CompletionDeps } from "../serve-completion.js";
import { createErrorHandler } from "./error-handler.js";
import { openAiKeyRejection } from "./openai-key.js";

/** OpenAI image generation, plus the files its `url` results point at. */
export function openAiImagesRoutes(deps: CompletionDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(createErrorHandler(openAiErrorBody));

    app.post("/v1/images/generations", async (request, reply) => {
      const job = parseImageRequest(request.body);
      deps.stats.record("openai", "invalid" in job ? "" : job.prompt);
      const rejection = openAiKeyRejection(deps.requireKey, request);
      if (rejection) return reply.code(rejection.status).send(rejection.body);
      if ("invalid" in job) return reply.code(400).send(openAiErrorBody(400, { message: job.invalid }));

      let fault: FaultSpec | undefined;
      try {
        fault = pickFault(deps.faults, request, job.prompt);
      } catch (error) {
        return reply.code(400).send(openAiErrorBody(400, { message: (error as Error).message }));
      }
      if (await applyFault(deps, request, reply, fault, openAiErrorBody)) return reply;

      const origin = `${request.protocol}://${request.host}`;
      const data: ImageItem[] = [];
      for (let index = 0; index < (fault?.empty ? 0 : job.n); index++) {
        const ref = imageRef(job.prompt, index, job.size, job.background === "transparent");
        data.push(
          job.responseFormat === "url"
            ? { url: `${origin}/_sim/images/${imageFileName(ref)}`, revised_prompt: job.prompt }
            : { b64_json: renderImage(ref).toString("base64"), revised_prompt: job.prompt },
        );
      }
      return sendJson(reply, imagesJson(job, data), fault);
    });

    // Not an OpenAI path: real URL results live on a CDN, and these stand in for them (no key needed).
    app.get<{ Params: { file: string } }>("/_sim/images/:file", async (request, reply) => {
      const ref = parseImageFileName(request.params.file);
      if (!ref) return reply.code(404).send(openAiErrorBody(404, { message: "no such image" }));
      return reply.type("image/png").header("cache-control", "public, max-age=86400").send(renderImage(ref));
    });
  };
}
