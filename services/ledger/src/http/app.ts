import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { LogController, type FastifyInstance } from "fastify";
import { sql, type Kysely } from "kysely";
import { AuthenticationError, ServiceUnavailableError, randomId, type ErrorEnvelope } from "@switchyard/contracts";
import type { Database } from "@switchyard/db";
import type { LedgerConfig } from "../config.js";
import { handleError } from "./error-handler.js";
import { registerUsageRoute } from "./usage-route.js";

export interface LedgerAppOptions {
  db: Kysely<Database>;
  config: Pick<LedgerConfig, "apiKey" | "logLevel">;
  /** Readiness needs the NATS connection up: without it the ledger records nothing. */
  bus: { isConnected(): boolean };
}

const READY_TIMEOUT_MS = 2_000;

/**
 * The analyst API: usage rollups over the ledger's tables, plus health and readiness. Every
 * error is the OpenAI envelope `{"error":{"message","type","param","code"}}`.
 *
 * @example
 * const app = createLedgerApp({ db, config, bus });
 * await app.inject({ method: "GET", url: "/v1/usage?group_by=model" });
 */
export function createLedgerApp(options: LedgerAppOptions): FastifyInstance {
  const { db, config, bus } = options;
  const app = Fastify({
    logger: config.logLevel === "silent" ? false : { level: config.logLevel },
    // A line per health probe drowns the log; request lines only when debugging.
    logController: new LogController({
      disableRequestLogging: config.logLevel !== "debug" && config.logLevel !== "trace",
    }),
    genReqId: () => `req_${randomId()}`,
    requestIdHeader: false,
    // Errors raised before routing (a malformed URL) get the envelope too, not Fastify's default body.
    frameworkErrors: (error, request, reply) => {
      reply.header("x-request-id", request.id);
      void handleError(error, request, reply);
    },
  });

  app.setErrorHandler(handleError);
  // Every answer, errors and 404s included, names its request (as the ingress's do).
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        message: `Unknown route ${request.method} ${request.url.split("?", 1)[0]}.`,
        type: "invalid_request_error",
        param: null,
        code: "not_found",
      },
    } satisfies ErrorEnvelope),
  );

  if (config.apiKey) {
    const expected = digest(config.apiKey);
    app.addHook("onRequest", async (request) => {
      if (!request.url.startsWith("/v1/")) return;
      const header = request.headers.authorization ?? "";
      const match = /^Bearer\s+(.+)$/i.exec(header);
      // Digests have one length, so the comparison takes the same time whatever was sent.
      if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) throw new AuthenticationError();
    });
  }

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async () => {
    if (!bus.isConnected()) throw new ServiceUnavailableError("NATS is not connected.");
    try {
      await withTimeout(sql`select 1`.execute(db), READY_TIMEOUT_MS);
    } catch (cause) {
      throw new ServiceUnavailableError("PostgreSQL is not answering.", { cause });
    }
    return { status: "ok" };
  });

  registerUsageRoute(app, db);
  return app;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
