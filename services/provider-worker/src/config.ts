import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ModelKind } from "@switchyard/contracts";
import { z } from "zod";

// services/provider-worker/src/config.ts -> <repo root>/config/catalog.yaml, wherever the checkout lives.
const defaultCatalogPath = fileURLToPath(new URL("../../../config/catalog.yaml", import.meta.url));

// Booleans are spelled out because z.coerce.boolean() reads "false" as true.
const Flag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .optional()
  .transform((value) => value === "true" || value === "1" || value === "yes");

const count = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const Env = z.object({
  // The model family this process serves (`--family` wins): one durable consumer per family.
  WORKER_FAMILY: z
    .string()
    .regex(/^[a-z0-9-]+$/, "use [a-z0-9-]")
    .optional(),
  // Where JetStream lives; a comma-separated list names several servers of one cluster.
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  // Prefixes every stream and subject, so several stacks (or test suites) can share one NATS server.
  SWITCHYARD_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]*$/, "use [a-z0-9_-]")
    .default(""),
  // The model catalog: the family's models, their routes in fallback order and the upstream keys.
  CATALOG_PATH: z.string().default(defaultCatalogPath),
  // Jobs handled at once by this process; they mostly wait on upstreams (unset: 256, or 1000 for a video family).
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).optional(),
  // Calls to one route before falling back to the next: a flaky route gets retries, a dead one is left soon.
  WORKER_MAX_ATTEMPTS_PER_ROUTE: count(3),
  // First retry delay on a route; it doubles per attempt (with full jitter) so retries do not stampede.
  WORKER_BACKOFF_BASE_MS: count(200, 0),
  // Cap on one backoff delay, so a job never sleeps longer than its caller is willing to wait.
  WORKER_BACKOFF_MAX_MS: count(5000, 0),
  // Longest upstream Retry-After honoured on the same route; a longer one moves to the next route or fails.
  WORKER_MAX_RETRY_AFTER_MS: count(10_000, 0),
  // Deliveries of one job before the last one records `failed` (max_deliveries_exceeded) instead of retrying.
  WORKER_MAX_DELIVER: count(5, 2),
  // How long JetStream waits for an ack (or `working()`) before handing the job to another worker.
  WORKER_ACK_WAIT_MS: count(30_000, 1000),
  // How long a SIGTERM lets in-flight jobs finish; unfinished ones are redelivered to another worker.
  WORKER_SHUTDOWN_GRACE_MS: count(25_000, 0),
  // How long to keep retrying the final event while NATS is unreachable before nak-ing the job.
  WORKER_FINAL_PUBLISH_RETRY_MS: count(30_000, 0),
  // Token chunks a streamed job may have out unconfirmed by the ingress before the upstream is paused.
  WORKER_STREAM_WINDOW: count(64),
  // No flow credit for this long while the window is full means the streaming client is gone.
  WORKER_STREAM_STALL_MS: count(30_000, 100),
  // Time between two polls of one video task (jittered ±20%); lower is snappier progress, more upstream calls.
  WORKER_VIDEO_POLL_MS: count(1000, 50),
  // How long a job's `started` event waits to share a socket write with its next event: a job
  // that ends sooner sends all its events in one write, so nats-server and the ledger are not
  // woken while the upstream call is in flight, and the ledger writes the job in one batch, not
  // two. 100 ms covers short calls (small or cached completions); with a 50 ms upstream at 64
  // connections it cut the broker's CPU per request by 16 % against 20 ms (A/B, 2 runs each).
  // The event's time is when the job started either way. 0 sends it at once.
  WORKER_STARTED_HOLD_MS: count(100, 0),
  // A log line per finished job costs throughput at high concurrency, so it is off unless asked for.
  WORKER_LOG_JOBS: Flag,
});

export interface WorkerConfig {
  readonly family: string;
  readonly natsServers: readonly string[];
  readonly namespace: string;
  readonly catalogPath: string;
  /** Null when unset: `defaultConcurrency` picks it from the family's kinds of model. */
  readonly concurrency: number | null;
  readonly maxAttemptsPerRoute: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxRetryAfterMs: number;
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  readonly shutdownGraceMs: number;
  readonly finalPublishRetryMs: number;
  readonly streamWindow: number;
  readonly streamStallMs: number;
  readonly videoPollMs: number;
  readonly startedHoldMs: number;
  readonly logJobs: boolean;
}

/**
 * Jobs in flight per process when `WORKER_CONCURRENCY` is unset. A chat or image job holds its
 * slot for seconds; a video job for minutes, mostly asleep between polls, so a video family
 * needs far more slots to keep hundreds of tasks moving.
 *
 * @example
 * defaultConcurrency(["video"]); // 1000
 */
export function defaultConcurrency(kinds: Iterable<ModelKind>): number {
  return [...kinds].includes("video") ? 1000 : 256;
}

/**
 * Reads the worker settings from an environment map and the command line (`--family <name>`);
 * throws an Error listing every problem. Empty variables count as unset.
 *
 * @example
 * const config = loadConfig(process.env, process.argv.slice(2));
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): WorkerConfig {
  const problems: string[] = [];
  let familyArg: string | undefined;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { family: { type: "string" } },
      strict: true,
      allowPositionals: false,
    });
    familyArg = values.family;
  } catch (error) {
    problems.push(`✖ ${error instanceof Error ? error.message : String(error)}`);
  }

  const present: Record<string, string> = {};
  for (const key of Object.keys(Env.shape)) {
    const value = env[key]?.trim();
    if (value) present[key] = key === "WORKER_LOG_JOBS" ? value.toLowerCase() : value;
  }
  if (familyArg !== undefined) present["WORKER_FAMILY"] = familyArg.trim();
  const parsed = Env.safeParse(present);
  if (!parsed.success) problems.push(z.prettifyError(parsed.error));
  if (parsed.success && !parsed.data.WORKER_FAMILY)
    problems.push("✖ no family: pass --family <name> or set WORKER_FAMILY");
  if (parsed.success && parsed.data.WORKER_BACKOFF_BASE_MS > parsed.data.WORKER_BACKOFF_MAX_MS) {
    problems.push("✖ WORKER_BACKOFF_BASE_MS must not exceed WORKER_BACKOFF_MAX_MS");
  }
  if (!parsed.success || problems.length > 0) {
    throw new Error(`invalid provider-worker configuration:\n${problems.join("\n")}`);
  }
  const e = parsed.data;
  return {
    family: e.WORKER_FAMILY ?? "",
    natsServers: e.NATS_URL.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    namespace: e.SWITCHYARD_NAMESPACE,
    catalogPath: e.CATALOG_PATH,
    concurrency: e.WORKER_CONCURRENCY ?? null,
    maxAttemptsPerRoute: e.WORKER_MAX_ATTEMPTS_PER_ROUTE,
    backoffBaseMs: e.WORKER_BACKOFF_BASE_MS,
    backoffMaxMs: e.WORKER_BACKOFF_MAX_MS,
    maxRetryAfterMs: e.WORKER_MAX_RETRY_AFTER_MS,
    maxDeliver: e.WORKER_MAX_DELIVER,
    ackWaitMs: e.WORKER_ACK_WAIT_MS,
    shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
    finalPublishRetryMs: e.WORKER_FINAL_PUBLISH_RETRY_MS,
    streamWindow: e.WORKER_STREAM_WINDOW,
    streamStallMs: e.WORKER_STREAM_STALL_MS,
    videoPollMs: e.WORKER_VIDEO_POLL_MS,
    startedHoldMs: e.WORKER_STARTED_HOLD_MS,
    logJobs: e.WORKER_LOG_JOBS,
  };
}
