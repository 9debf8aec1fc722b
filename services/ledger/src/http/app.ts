import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from "fastify";
import { sql, type Kysely } from "kysely";
import {
  AuthenticationError,
  BrokerError,
  ServiceUnavailableError,
  toErrorBody,
  type ErrorEnvelope,
} from "@switchyard/contracts";
import type { Database } from "@switchyard/db";
import type { LedgerConfig } from "../config.js";
import { isConnectionError } from "../db-errors.js";
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
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof BrokerError) return sendBrokerError(reply, error);
    // An outage, not a fault: the analyst's client should retry, as `/readyz` says.
    if (isConnectionError(error)) {
      return sendBrokerError(
        reply,
        new ServiceUnavailableError("PostgreSQL is not answering; try again.", { cause: error }),
      );
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return reply.status(status).send({
        error: { message: (error as Error).message, type: "invalid_request_error", param: null, code: null },
      } satisfies ErrorEnvelope);
    }
    request.log.error({ err: error }, "request failed");
    return reply.status(500).send({
      error: { message: "The ledger failed to answer; try again.", type: "server_error", param: null, code: null },
    } satisfies ErrorEnvelope);
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

function sendBrokerError(reply: FastifyReply, error: BrokerError): FastifyReply {
  if (error.retryAfterMs !== undefined) reply.header("retry-after", Math.ceil(error.retryAfterMs / 1000));
  return reply.status(error.status).send({ error: toErrorBody(error) } satisfies ErrorEnvelope);
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
