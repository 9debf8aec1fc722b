import { z } from "zod";
import { ModelKind } from "@switchyard/contracts";

/** Upstream API dialects the provider adapters speak. */
export const Dialect = z.enum(["openai", "anthropic", "gemini", "video-task"]);
export type Dialect = z.infer<typeof Dialect>;

/** USD per million tokens, plus per-unit prices for media. */
export const Price = z.strictObject({
  input: z.number().nonnegative().default(0),
  output: z.number().nonnegative().default(0),
  /** Cached prompt tokens are billed at this rate instead of `input`; defaults to `input`. */
  cached_input: z.number().nonnegative().optional(),
  /** USD per generated image (image routes). */
  per_image: z.number().nonnegative().optional(),
  /** USD per second of generated video (video routes). */
  per_second: z.number().nonnegative().optional(),
});
export type Price = z.infer<typeof Price>;

export const RouteConfig = z.strictObject({
  dialect: Dialect,
  base_url: z.url(),
  /** The model name the upstream knows. */
  upstream_model: z.string().min(1),
  /** Name of the environment variable holding the API key; none for keyless upstreams. */
  api_key_env: z.string().optional(),
  timeout_ms: z.number().int().positive().default(60_000),
  price: Price,
});
export type RouteConfig = z.infer<typeof RouteConfig>;

const FAMILY = /^[a-z0-9-]+$/;

export const ModelConfig = z.strictObject({
  kind: ModelKind,
  /** The worker pool that serves the model; also the subject token `jobs.<family>.<kind>`. */
  family: z.string().regex(FAMILY, "family must match [a-z0-9-]+"),
  owned_by: z.string().default("switchyard"),
  created: z.number().int().default(1_700_000_000),
  /** Route ids in fallback order: the first is tried first. */
  routes: z.array(z.string()).min(1),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

export const CatalogFile = z.strictObject({
  routes: z.record(z.string(), RouteConfig),
  models: z.record(z.string(), ModelConfig),
});
export type CatalogFile = z.infer<typeof CatalogFile>;
