import { z } from "zod";

/** `POST /v1/images/generations`, OpenAI's shape; unknown fields pass through to the upstream. */
export const ImageGenerationRequest = z.looseObject({
  prompt: z.string().min(1).max(32_000),
  model: z.string().min(1).optional(),
  n: z.number().int().min(1).max(10).optional(),
  size: z
    .string()
    .regex(/^(auto|\d{2,4}x\d{2,4})$/, "size must be like 1024x1024 or auto")
    .optional(),
  response_format: z.enum(["b64_json", "url"]).optional(),
  quality: z.string().optional(),
  background: z.string().optional(),
  output_format: z.enum(["png", "jpeg", "webp"]).optional(),
  user: z.string().optional(),
});
export type ImageGenerationRequest = z.infer<typeof ImageGenerationRequest>;
