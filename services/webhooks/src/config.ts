import { z } from "zod";
import { decodeSecret } from "./signing.js";

export const DEV_TENANT = "dev";
/**
 * The signing secret of tenant `dev` on a development machine with none configured: fixed, so a
 * receiver set up once keeps verifying across restarts; printed at start; never in production.
 */
export const DEV_WEBHOOK_SECRET = `whsec_${Buffer.from("switchyard-development-webhook-key").toString("base64")}`;

const Flag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const count = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

/** The ingress's rule for tenant names (its config.ts): a secret can be set for every tenant there is. */
const TENANT = /^[A-Za-z0-9_-]{1,64}$/;

const Env = z.object({
  // Where JetStream lives; a comma-separated list names several servers of one cluster.
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  // Prefixes every stream and subject, so several stacks (or test suites) can share one NATS server.
  SWITCHYARD_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]*$/, "use [a-z0-9_-]")
    .default(""),
  // Development signs tenant `dev`'s webhooks with a fixed, printed secret; production never does.
  SWITCHYARD_ENV: z.enum(["development", "production"]).default("development"),
  // Each tenant's signing secret, `tenant=whsec_<base64>,...`: receivers verify `webhook-signature` with it.
  SWITCHYARD_WEBHOOK_SECRETS: z.string().optional(),
  // Deliver to loopback, private and link-local addresses too; off, so a job cannot make us probe our own network.
  WEBHOOK_ALLOW_PRIVATE: Flag.default(false),
  // Attempts per event (the first included) before the dispatcher gives up on the receiver.
  WEBHOOK_MAX_ATTEMPTS: count(8),
  // Delay after the first failed attempt; it doubles per attempt (with jitter) so a receiver that is down gets room.
  WEBHOOK_BACKOFF_BASE_MS: count(1_000, 0),
  // Cap on one retry delay, and on a receiver's Retry-After: a webhook must not wait for hours.
  WEBHOOK_BACKOFF_MAX_MS: count(300_000, 0),
  // How long one attempt may take, connection to last byte; a slow receiver is a failed attempt.
  WEBHOOK_TIMEOUT_MS: count(10_000, 100),
  // Deliveries in flight per event type (completed, failed, cancelled): receivers are slow, so it is high.
  WEBHOOK_CONCURRENCY: count(64),
});

export interface WebhooksConfig {
  readonly natsServers: readonly string[];
  readonly namespace: string;
  readonly env: "development" | "production";
  /** Tenant -> `whsec_...` signing secret. */
  readonly secrets: ReadonlyMap<string, string>;
  /** True when the only secret is the built-in development one (printed on start). */
  readonly devSecretActive: boolean;
  readonly allowPrivate: boolean;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
}

/**
 * Reads the dispatcher settings from an environment map; throws an Error listing every bad
 * variable. Empty variables count as unset.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): WebhooksConfig {
  const present: Record<string, string> = {};
  for (const key of Object.keys(Env.shape)) {
    const value = env[key]?.trim();
    if (value) present[key] = key === "WEBHOOK_ALLOW_PRIVATE" ? value.toLowerCase() : value;
  }
  const parsed = Env.safeParse(present);
  const problems = parsed.success ? [] : [z.prettifyError(parsed.error)];
  const secrets = parseSecrets(present["SWITCHYARD_WEBHOOK_SECRETS"], problems);
  if (parsed.success && parsed.data.WEBHOOK_BACKOFF_MAX_MS < parsed.data.WEBHOOK_BACKOFF_BASE_MS) {
    problems.push("✖ WEBHOOK_BACKOFF_MAX_MS must not be below WEBHOOK_BACKOFF_BASE_MS");
  }
  if (!parsed.success || problems.length > 0) {
    throw new Error(`invalid webhooks configuration:\n${problems.join("\n")}`);
  }
  const e = parsed.data;
  // In production an empty list is allowed: jobs that ask for a webhook then give up, each
  // with an attempt saying why, which the ledger records.
  const devSecretActive = secrets.size === 0 && e.SWITCHYARD_ENV === "development";
  if (devSecretActive) secrets.set(DEV_TENANT, DEV_WEBHOOK_SECRET);
  return {
    natsServers: e.NATS_URL.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    namespace: e.SWITCHYARD_NAMESPACE,
    env: e.SWITCHYARD_ENV,
    secrets,
    devSecretActive,
    allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
    backoffMaxMs: e.WEBHOOK_BACKOFF_MAX_MS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    concurrency: e.WEBHOOK_CONCURRENCY,
  };
}

/** Problems name entries by position and tenant only: the secrets must not reach a log. */
function parseSecrets(raw: string | undefined, problems: string[]): Map<string, string> {
  const secrets = new Map<string, string>();
  if (!raw) return secrets;
  for (const [index, entry] of raw.split(",").entries()) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf("=");
    const tenant = eq > 0 ? trimmed.slice(0, eq).trim() : "";
    const secret = eq > 0 ? trimmed.slice(eq + 1).trim() : "";
    const where = `SWITCHYARD_WEBHOOK_SECRETS entry ${index + 1}`;
    if (!tenant || !secret) {
      problems.push(`✖ ${where} is not of the form tenant=whsec_...`);
      continue;
    }
    if (!TENANT.test(tenant)) {
      problems.push(`✖ ${where}: the tenant must match ${TENANT.source}`);
      continue;
    }
    if (secrets.has(tenant)) {
      problems.push(`✖ ${where} repeats tenant ${tenant}`);
      continue;
    }
    try {
      decodeSecret(secret);
      secrets.set(tenant, secret);
    } catch (error) {
      problems.push(`✖ ${where} (tenant ${tenant}): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return secrets;
}
