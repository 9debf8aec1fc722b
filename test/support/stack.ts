import { join } from "node:path";
import OpenAI from "openai";
import pg from "pg";
import {
  createDatabase,
  dropDatabase,
  freePort,
  startService,
  type ServiceName,
  type ServiceProcess,
} from "@switchyard/devstack";
import { connectBus, deleteNamespaceStreams } from "@switchyard/bus";
import { createNames, randomId } from "@switchyard/contracts";

export const root = join(import.meta.dirname, "..", "..");
export const DEV_KEY = "sk-switchyard-dev";

export interface StackOptions {
  /** Worker families to run, one process each; default the catalog's `openai` family. */
  families?: string[];
  /** Overrides NATS_URL from the global setup (a test's private nats-server). */
  natsUrl?: string;
  /** Sends every service's spans to this OTLP/HTTP endpoint; tracing is off otherwise. */
  otlpEndpoint?: string;
  ingressEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  ledgerEnv?: Record<string, string>;
  simEnv?: Record<string, string>;
  /** Starts the webhook dispatcher too, with these settings. */
  webhooksEnv?: Record<string, string>;
  /** Print the services' output as it comes (debugging). */
  verbose?: boolean;
}

export interface Stack {
  readonly namespace: string;
  readonly ingressUrl: string;
  readonly ledgerUrl: string;
  readonly simUrl: string;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** The official OpenAI client pointed at the ingress with the dev key, retries off. */
  readonly openai: OpenAI;
  /** A pool on the stack's own database, for asserting on ledger rows. */
  readonly db: pg.Pool;
  readonly workers: ServiceProcess[];
  startWorker(family?: string, env?: Record<string, string>): Promise<ServiceProcess>;
  /** Registers a fault on the simulated provider (see services/sim-provider/README.md). */
  fault(rule: Record<string, unknown>): Promise<void>;
  /** Chat requests the simulated provider received whose last user message contains `match`. */
  upstreamRequests(match: string): Promise<number>;
  /** Polls `query` until `predicate` holds on its rows, or fails after `timeoutMs`. */
  waitForRows<T extends pg.QueryResultRow>(
    query: string,
    params: unknown[],
    predicate: (rows: T[]) => boolean,
    timeoutMs?: number,
  ): Promise<T[]>;
  /** Everything the services printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the simulated provider, the ledger, the workers and the ingress as real processes on
 * their own streams namespace and database, against the NATS and PostgreSQL of the global
 * setup. Tests talk to it only through public surfaces: HTTP, subjects and tables.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const namespace = `t${randomId(10).toLowerCase()}`;
  const natsUrl = options.natsUrl ?? requiredEnv("NATS_URL");
  const adminUrl = requiredEnv("SWITCHYARD_TEST_PG_ADMIN_URL");
  const dbName = `e2e_${namespace}`;
  const databaseUrl = await createDatabase(adminUrl, dbName);
  const processes: ServiceProcess[] = [];
  const log = options.verbose ? (line: string) => console.log(line) : undefined;

  const [simPort, ledgerPort, ingressPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const simUrl = `http://127.0.0.1:${simPort}`;
  const tracing: Record<string, string> = options.otlpEndpoint
    ? {
        OTEL_SDK_DISABLED: "false",
        OTEL_TRACES_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: "100",
        OTEL_METRICS_EXPORTER: "none",
        OTEL_LOGS_EXPORTER: "none",
      }
    : { OTEL_SDK_DISABLED: "true" };
  const common: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NATS_URL: natsUrl,
    SWITCHYARD_NAMESPACE: namespace,
    SIM_PROVIDER_URL: simUrl,
    ...tracing,
  };
  const spawn = async (
    service: ServiceName,
    options: { name?: string; port?: number; env?: Record<string, string | undefined>; args?: string[] } = {},
  ): Promise<ServiceProcess> => {
    const started = await startService(service, {
      root,
      ...options,
      env: { ...common, ...options.env },
      timeoutMs: 60_000,
      log,
    });
    processes.push(started);
    return started;
  };

  const workers: ServiceProcess[] = [];
  const startWorker = async (family = "openai", env: Record<string, string> = {}): Promise<ServiceProcess> => {
    const worker = await spawn("provider-worker", {
      name: `worker-${family}`,
      env: { ...options.workerEnv, ...env },
      args: ["--family", family],
    });
    workers.push(worker);
    return worker;
  };

  try {
    await spawn("sim-provider", { name: "sim", port: simPort, env: options.simEnv });
    await spawn("ledger", { port: ledgerPort, env: { DATABASE_URL: databaseUrl, ...options.ledgerEnv } });
    await Promise.all((options.families ?? ["openai"]).map((family) => startWorker(family)));
    if (options.webhooksEnv) await spawn("webhooks", { env: options.webhooksEnv });
    await spawn("ingress", { port: ingressPort, env: options.ingressEnv });
  } catch (error) {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await dropDatabase(adminUrl, dbName).catch(() => undefined);
    throw error;
  }

  const ingressUrl = `http://127.0.0.1:${ingressPort}`;
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const openai = new OpenAI({ baseURL: `${ingressUrl}/v1`, apiKey: DEV_KEY, maxRetries: 0, timeout: 60_000 });

  return {
    namespace,
    ingressUrl,
    ledgerUrl: `http://127.0.0.1:${ledgerPort}`,
    simUrl,
    databaseUrl,
    natsUrl,
    openai,
    db,
    workers,
    startWorker,
    fault: async (rule) => {
      const res = await fetch(`${simUrl}/_sim/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(rule),
      });
      if (!res.ok) throw new Error(`sim fault rejected: ${res.status} ${await res.text()}`);
    },
    upstreamRequests: async (match) => {
      const res = await fetch(`${simUrl}/_sim/requests?match=${encodeURIComponent(match)}`);
      const body = (await res.json()) as { count: number };
      return body.count;
    },
    waitForRows: async <T extends pg.QueryResultRow>(
      query: string,
      params: unknown[],
      predicate: (rows: T[]) => boolean,
      timeoutMs = 15_000,
    ) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await db.query<T>(query, params);
        if (predicate(rows)) return rows;
        if (Date.now() > deadline) throw new Error(`rows never matched for: ${query}\n${JSON.stringify(rows)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    output: () => processes.map((p) => `--- ${p.name}\n${p.output()}`).join("\n"),
    stop: async () => {
      await Promise.allSettled(processes.map((p) => p.stop()));
      await db.end();
      await dropDatabase(adminUrl, dbName).catch(() => undefined);
      await deleteStreams(natsUrl, namespace).catch(() => undefined);
    },
  };
}

async function deleteStreams(natsUrl: string, namespace: string): Promise<void> {
  const bus = await connectBus({ servers: natsUrl, name: "test-cleanup" });
  try {
    await deleteNamespaceStreams(bus.jsm, createNames(namespace));
  } finally {
    await bus.close();
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through vitest's global setup (npm test)`);
  return value;
}
