import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { JOB_RETENTION_MS } from "@switchyard/contracts";

/** The key that works out of the box on a development machine, and never in production. */
export const DEV_API_KEY = "sk-switchyard-dev";
export const DEV_TENANT = "dev";

// Booleans are spelled out because z.coerce.boolean() reads "false" as true.
const Flag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .optional()
  .transform((value) => value === "true" || value === "1" || value === "yes");

// Flags are matched case-insensitively ("TRUE" works like "true").
const FLAGS = new Set(["INGRESS_LOG", "WEBHOOK_ALLOW_PRIVATE"]);

// Tenants become KV key and subject tokens (`<tenant>.<jobId>`): no dots, wildcards or spaces.
const TENANT = /^[A-Za-z0-9_-]{1,64}$/;

// services/ingress/src/config.ts -> <repo root>/config/catalog.yaml, wherever the checkout lives.
const defaultCatalogPath = fileURLToPath(new URL("../../../config/catalog.yaml", import.meta.url));

const Env = z.object({
  // Loopback by default: putting the API on a network is a deliberate choice.
  INGRESS_HOST: z.string().default("127.0.0.1"),
  // The port clients call; 0 picks a free one (printed on start), so parallel test stacks do not collide.
  INGRESS_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  // Where JetStream lives; a comma-separated list names several servers of one cluster.
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  // Prefixes every stream and subject, so several stacks (or test suites) can share one NATS server.
  SWITCHYARD_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]*$/, "use [a-z0-9_-]")
    .default(""),
  // The model catalog: which models exist and which worker family serves each.
  CATALOG_PATH: z.string().default(defaultCatalogPath),
  // Development enables the well-known dev API key; production refuses to start without real keys.
  SWITCHYARD_ENV: z.enum(["development", "production"]).default("development"),
  // API keys and the tenant each bills to, as `key=tenant,key=tenant`.
  SWITCHYARD_API_KEYS: z.string().optional(),
  // How long a synchronous request waits for its job; after it the client gets 504 and the worker gives up.
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  // Largest request body accepted; bigger ones are refused with 413 before they are parsed.
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  // The address clients reach the ingress at behind a proxy; printed instead of the bind address when set.
  PUBLIC_URL: z.url().optional(),
  // Per-request logs cost throughput, so they are off unless asked for.
  INGRESS_LOG: Flag,
  // How long a SIGTERM lets in-flight requests finish before their connections are cut.
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
  // How long a tracked job (job API, Videos API) may wait in the queue and run before the worker gives up on it.
  // Shorter than the retention of job records: a job must not outlive its own record.
  ASYNC_JOB_TTL_MS: z.coerce
    .number()
    .int()
    .positive()
    .max(JOB_RETENTION_MS / 2, "must be at most half the 7 days job records are kept")
    .default(24 * 3600_000),
  // Webhooks to loopback, private and link-local addresses are refused unless this is set (tests, local development).
  WEBHOOK_ALLOW_PRIVATE: Flag,
  // Largest `input_reference` image accepted by POST /v1/videos.
  VIDEO_INPUT_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  // Quiet time after which an open SSE stream gets a `: keep-alive` comment, so idle-timeout proxies keep it open.
  STREAM_KEEPALIVE_MS: z.coerce.number().int().positive().default(15_000),
  // HMAC key of signed image links; every ingress process of a deployment must share it. Required in production.
  SIGNING_SECRET: z.string().min(32, "use at least 32 characters").optional(),
  // How long a signed image link (response_format "url") stays valid, in seconds.
  IMAGE_URL_TTL_S: z.coerce.number().int().positive().default(3600),
});

/**
 * The signing key in development: derived from the namespace, so every ingress process of one
 * development stack agrees on it (a random per-process key would break links served by another
 * process) while it stays useless anywhere else. Never used in production.
 */
export function devSigningSecret(namespace: string): string {
  return createHash("sha256").update(`switchyard development signing secret\n${namespace}`).digest("hex");
}

export interface IngressConfig {
  readonly host: string;
  readonly port: number;
  readonly natsServers: readonly string[];
  readonly namespace: string;
  readonly catalogPath: string;
  readonly env: "development" | "production";
  /** API key -> tenant. */
  readonly apiKeys: ReadonlyMap<string, string>;
  /** True when the only key is the built-in development key (printed on start). */
  readonly devKeyActive: boolean;
  readonly requestTimeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly publicUrl: string | undefined;
  readonly log: boolean;
  readonly shutdownGraceMs: number;
  readonly asyncJobTtlMs: number;
  readonly webhookAllowPrivate: boolean;
  readonly videoInputMaxBytes: number;
  readonly streamKeepAliveMs: number;
  /** HMAC key of signed artifact links. */
  readonly signingSecret: string;
  /** True when `signingSecret` is the development one (printed on start). */
  readonly devSigningSecretActive: boolean;
  readonly imageUrlTtlS: number;
}

/**
 * Reads the ingress settings from an environment map; throws an Error listing every bad
 * variable. Empty variables count as unset, so `INGRESS_PORT=` does not silently become port 0.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): IngressConfig {
  const present: Record<string, string> = {};
  for (const key of Object.keys(Env.shape)) {
    const value = env[key]?.trim();
    if (value) present[key] = FLAGS.has(key) ? value.toLowerCase() : value;
  }
  const parsed = Env.safeParse(present);
  const problems = parsed.success ? [] : [z.prettifyError(parsed.error)];
  const keys = parseApiKeys(present["SWITCHYARD_API_KEYS"], problems);
  // Checked on the raw value too, so one run reports this alongside any other problem.
  if (present["SWITCHYARD_ENV"] === "production" && keys.size === 0) {
    problems.push("✖ SWITCHYARD_API_KEYS must name at least one key=tenant pair in production");
  }
  if (present["SWITCHYARD_ENV"] === "production" && present["SIGNING_SECRET"] === undefined) {
    problems.push("✖ SIGNING_SECRET must be set in production (signed image links)");
  }
  if (!parsed.success || problems.length > 0) {
    throw new Error(`invalid ingress configuration:\n${problems.join("\n")}`);
  }
  const e = parsed.data;
  const devKeyActive = keys.size === 0;
  if (devKeyActive) keys.set(DEV_API_KEY, DEV_TENANT);
  return {
    host: e.INGRESS_HOST,
    port: e.INGRESS_PORT,
    natsServers: e.NATS_URL.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    namespace: e.SWITCHYARD_NAMESPACE,
    catalogPath: e.CATALOG_PATH,
    env: e.SWITCHYARD_ENV,
    apiKeys: keys,
    devKeyActive,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    log: e.INGRESS_LOG,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    asyncJobTtlMs: e.ASYNC_JOB_TTL_MS,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    videoInputMaxBytes: e.VIDEO_INPUT_MAX_BYTES,
    streamKeepAliveMs: e.STREAM_KEEPALIVE_MS,
    signingSecret: e.SIGNING_SECRET ?? devSigningSecret(e.SWITCHYARD_NAMESPACE),
    devSigningSecretActive: e.SIGNING_SECRET === undefined,
    imageUrlTtlS: e.IMAGE_URL_TTL_S,
  };
}

/** Problems name entries by position only: the entries are secrets and must not reach a log. */
function parseApiKeys(raw: string | undefined, problems: string[]): Map<string, string> {
  const keys = new Map<string, string>();
  if (!raw) return keys;
  const entries = raw.split(",");
  for (const [index, entry] of entries.entries()) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf("=");
    const key = eq > 0 ? trimmed.slice(0, eq).trim() : "";
    const tenant = eq > 0 ? trimmed.slice(eq + 1).trim() : "";
    const where = `SWITCHYARD_API_KEYS entry ${index + 1}`;
    if (!key || !tenant) problems.push(`✖ ${where} is not of the form key=tenant`);
    else if (/\s/.test(key)) problems.push(`✖ ${where}: the key contains whitespace`);
    else if (!TENANT.test(tenant)) problems.push(`✖ ${where}: the tenant must match ${TENANT.source}`);
    else if (keys.has(key)) problems.push(`✖ ${where} repeats a key`);
    else keys.set(key, tenant);
  }
  return keys;
}
