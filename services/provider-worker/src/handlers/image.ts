import type { ArtifactStore } from "@switchyard/bus";
import {
  ImageGenerationRequest,
  normalizeUsage,
  type ImageArtifact,
  type ImagesResult,
  type Usage,
} from "@switchyard/contracts";
import { requireMethod, runAttempts, type AttemptDeps } from "../attempts.js";
import { failed, type JobHandler } from "../job-context.js";
import type { Patiently } from "../patience.js";
import { parseRequest } from "./parse-request.js";

export interface ImageDeps extends AttemptDeps {
  artifacts: Pick<ArtifactStore, "put">;
  patiently: Patiently;
}

const EXTENSIONS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp" };

/** `<jobId>/<index>.<ext>`: one job's images sort together, and a redelivery overwrites, never adds. */
export function imageArtifactName(jobId: string, index: number, contentType: string): string {
  return `${jobId}/${index}.${EXTENSIONS[contentType] ?? "bin"}`;
}

/**
 * The usage object of OpenAI's images response, from the chat-shaped usage the adapter maps to.
 * `input_tokens_details` is required in OpenAI's shape (the openai client types it so); a
 * generation's only input is its text prompt, so every input token is a text token.
 */
function imagesUsage(usage: Usage): Record<string, unknown> {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { text_tokens: usage.prompt_tokens, image_tokens: 0 },
    output_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
  };
}

/**
 * Image generation: the upstream call with retries and fallback like chat, then every image
 * into the artifact store. The result names artifacts, not bytes; the ingress answers with
 * `b64_json` or a URL as the client asked, so the event stays small.
 */
export function createImageHandler(deps: ImageDeps): JobHandler {
  return async (ctx) => {
    const { job } = ctx;
    const parsed = parseRequest(ImageGenerationRequest, job.request);
    if (!parsed.ok) return failed(parsed.error);
    // The worker always wants the bytes, and gpt-image models reject the field outright; how
    // the client receives the images is the ingress's business.
    const { response_format: _format, ...request } = parsed.data;
    const outcome = await runAttempts(
      {
        job,
        routes: ctx.model.routes,
        delivery: ctx.delivery,
        signal: ctx.signal,
        call: (adapter, route, signal) => requireMethod(adapter, "generateImages", route)(request, { signal }),
        httpStatus: (result) => result.httpStatus,
      },
      { ...deps, onAttempt: ctx.emit },
    );
    if (!outcome.ok) return failed(outcome.error, { route: outcome.route?.id ?? null, attempts: outcome.attempts });

    const generated = outcome.result;
    const data: ImageArtifact[] = [];
    for (const [index, image] of generated.images.entries()) {
      const name = imageArtifactName(job.id, index, image.contentType);
      const stored = await deps.patiently("store an image", () =>
        deps.artifacts.put(name, image.bytes, image.contentType),
      );
      data.push({
        artifact: stored.name,
        contentType: stored.contentType,
        bytes: stored.bytes,
        ...(image.revisedPrompt !== undefined && { revised_prompt: image.revisedPrompt }),
      });
    }
    const usage = generated.usage ? normalizeUsage(generated.usage) : null;
    const result: ImagesResult = {
      ...pick(generated.extra, ["size", "quality", "background", "output_format"]),
      created: generated.created,
      data,
      ...(usage && { usage: imagesUsage(usage) }),
    };
    return {
      type: "completed",
      route: outcome.route.id,
      attempts: outcome.attempts,
      result,
      usage,
      units: { images: data.length, videoSeconds: 0 },
    };
  };
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = source[key];
    if (typeof value === "string") out[key] = value;
  }
  return out;
}
