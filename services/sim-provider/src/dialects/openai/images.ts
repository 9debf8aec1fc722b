import { z } from "zod";
import { unixSeconds } from "../../ids.js";
import { describeIssues } from "../../issues.js";
import { countTokens } from "../../tokens.js";

const ImageRequest = z.looseObject({
  prompt: z.string().min(1).max(32_000),
  model: z.string().min(1).nullable().optional(),
  n: z.int().min(1).max(10).nullable().optional(),
  size: z
    .string()
    .regex(/^(auto|\d{2,4}x\d{2,4})$/, "size must be like 1024x1024 or auto")
    .nullable()
    .optional(),
  response_format: z.enum(["b64_json", "url"]).nullable().optional(),
  quality: z.enum(["auto", "low", "medium", "high", "standard", "hd"]).nullable().optional(),
  background: z.enum(["auto", "opaque", "transparent"]).nullable().optional(),
  output_format: z.enum(["png", "jpeg", "webp"]).nullable().optional(),
});

/** A valid `POST /v1/images/generations` body, with OpenAI's defaults filled in. */
export interface ImageJob {
  prompt: string;
  model: string;
  n: number;
  /** `WxH`; `auto` resolves to 1024x1024. */
  size: string;
  responseFormat: "b64_json" | "url";
  /** As reported back: `auto` resolves to `high`. */
  quality: string;
  background: "opaque" | "transparent";
}

// Output tokens per 1024x1024 image, as gpt-image-1 bills them; other sizes scale by area.
const TOKENS_PER_MEGAPIXEL: Record<string, number> = { low: 272, medium: 1056, standard: 1056, high: 4160, hd: 4160 };

/** The request, or why it is invalid. OpenAI's default model is dall-e-2, which answers with URLs. */
export function parseImageRequest(body: unknown): ImageJob | { invalid: string } {
  const parsed = ImageRequest.safeParse(body);
  if (!parsed.success) return { invalid: describeIssues(parsed.error) };
  const request = parsed.data;
  const model = request.model ?? "dall-e-2";
  // gpt-image models have no URL results: they always answer with base64.
  const gptImage = model.startsWith("gpt-image");
  return {
    prompt: request.prompt,
    model,
    n: request.n ?? 1,
    size: !request.size || request.size === "auto" ? "1024x1024" : request.size,
    responseFormat: gptImage ? "b64_json" : (request.response_format ?? "url"),
    quality: !request.quality || request.quality === "auto" ? "high" : request.quality,
    background: request.background === "transparent" ? "transparent" : "opaque",
  };
}

/** Deterministic output tokens for one image. */
export function imageOutputTokens(job: ImageJob): number {
  const [w = 1024, h = 1024] = job.size.split("x").map(Number);
  return Math.round(((TOKENS_PER_MEGAPIXEL[job.quality] ?? 1056) * w * h) / (1024 * 1024));
}

export type ImageItem = { b64_json: string; revised_prompt: string } | { url: string; revised_prompt: string };

/** The images response as gpt-image-1 shapes it; the sim always produces PNGs. */
export function imagesJson(job: ImageJob, data: ImageItem[]): unknown {
  const inputTokens = countTokens(job.prompt);
  const outputTokens = imageOutputTokens(job) * data.length;
  return {
    created: unixSeconds(),
    data,
    background: job.background,
    output_format: "png",
    quality: job.quality,
    size: job.size,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { text_tokens: inputTokens, image_tokens: 0 },
      output_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
    },
  };
}
