import { fileURLToPath } from "node:url";
import { z } from "zod";

// Booleans are spelled out because z.coerce.boolean() reads "false" as true.
const Flag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

// services/ledger/src/config.ts -> <repo root>/config/catalog.yaml, wherever the checkout lives.
const defaultCatalogPath = fileURLToPath(new URL("../../../config/catalog.yaml", import.meta.url));

const Env = z.object({
  // Where JetStream lives; a comma-separated list names several servers of one cluster.
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  // Prefixes every stream and subject, so several stacks (or test suites) can share one NATS server.
  SWITCHYARD_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]*$/, "use [a-z0-9_-]")
    .default(""),
  // The ledger's database; the ledger is its only writer and migrates it at start.
  DATABASE_URL: z.string().default("postgres://postgres@127.0.0.1:5432/switchyard"),
  // Puts the tables in this schema instead of public, to share one database with other applications.
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "use a lowercase identifier")
    .optional(),
  // Run the migrations at start; turn off where a deploy step migrates before the ledger starts.
  LEDGER_MIGRATE: Flag.default(true),
  // Prepare each statement once per connection (a quarter of a batch's server time saved). Turn
  // off behind a pooler that hands a session's statements to other sessions (PgBouncer before
  // 1.21, or without max_prepared_statements, in transaction mode).
  DATABASE_PREPARED_STATEMENTS: Flag.default(true),
  // Prices: usage rows are costed with the catalog's price of the route that answered.
  CATALOG_PATH: z.string().default(defaultCatalogPath),
  // Loopback by default: putting the analyst API on a network is a deliberate choice.
  LEDGER_HOST: z.string().default("127.0.0.1"),
  // The analyst API's port; 0 picks a free one (printed on start), so parallel test stacks do not collide.
  LEDGER_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  // Events written per transaction: bigger batches mean fewer commits and more throughput.
  LEDGER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  // How long a partial batch waits for more events: the ledger's added latency when traffic is light.
  // At most 10 s: events wait unacked meanwhile, and past the consumer's ack wait (30 s) each
  // would be delivered twice.
  LEDGER_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(20),
  // When set, the analyst API asks for `Authorization: Bearer <key>` (usage data is business data).
  LEDGER_API_KEY: z.string().optional(),
  // Fastify's request log level; "warn" keeps per-request lines out of busy logs.
  LEDGER_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

const FLAGS = new Set(["LEDGER_MIGRATE", "DATABASE_PREPARED_STATEMENTS"]);

export interface LedgerConfig {
  readonly natsServers: readonly string[];
  readonly namespace: string;
  readonly databaseUrl: string;
  readonly databaseSchema: string | undefined;
  readonly migrate: boolean;
  readonly preparedStatements: boolean;
  readonly catalogPath: string;
  readonly host: string;
  readonly port: number;
  readonly batchSize: number;
  readonly flushMs: number;
  readonly apiKey: string | undefined;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

/**
 * Reads the ledger settings from an environment map; throws an Error listing every bad
 * variable. Empty variables count as unset, so `LEDGER_PORT=` does not silently become port 0.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): LedgerConfig {
  const present: Record<string, string> = {};
  for (const key of Object.keys(Env.shape)) {
    const value = env[key]?.trim();
    if (value) present[key] = FLAGS.has(key) ? value.toLowerCase() : value;
  }
  const parsed = Env.safeParse(present);
  if (!parsed.success) throw new Error(`invalid ledger configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  return {
    natsServers: e.NATS_URL.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    namespace: e.SWITCHYARD_NAMESPACE,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    migrate: e.LEDGER_MIGRATE,
    preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    catalogPath: e.CATALOG_PATH,
    host: e.LEDGER_HOST,
    port: e.LEDGER_PORT,
    batchSize: e.LEDGER_BATCH_SIZE,
    flushMs: e.LEDGER_FLUSH_MS,
    apiKey: e.LEDGER_API_KEY,
    logLevel: e.LEDGER_LOG_LEVEL,
  };
}
