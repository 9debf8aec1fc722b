import Fastify, { type FastifyInstance } from "fastify";
import { ServiceUnavailableError } from "@switchyard/contracts";
import type { IngressDeps } from "./deps.js";
import { createAuthHook } from "./auth.js";
import { generateRequestId, requestIdHook } from "./request-id.js";
import { handleClientError } from "./errors/client-error.js";
import { handleError, installErrorHandling } from "./errors/error-handler.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerMetricsRoute } from "./routes/metrics.js";
import { createIngressMetrics } from "./metrics/metrics.js";
import { registerModelRoutes } from "./routes/models.js";
import { registerChatCompletionRoutes } from "./routes/chat-completions.js";
import { registerImageRoutes } from "./routes/images.js";
import { registerJobRoutes } from "./routes/jobs.js";
import { registerVideoRoutes } from "./routes/videos.js";
import { createTrackedContext } from "./jobs/tracked.js";
import { openOutcomeInbox } from "./jobs/outcome-inbox.js";
import type { SyncJobContext } from "./jobs/run-sync.js";
import { systemClock } from "./deps.js";

function reportToStderr(error: unknown, requestId: string): void {
  console.error(`ingress: unexpected error in request ${requestId}:`, error);
}

/**
 * The public HTTP API as a Fastify instance that is not yet listening: `run.ts` listens, tests
 * call `app.inject()`.
 *
 * @example
 * const app = createIngressApp({ config, bus, names, catalog });
 * const res = await app.inject({ method: "GET", url: "/v1/models", headers: { authorization: "Bearer sk-..." } });
 */
export function createIngressApp(deps: IngressDeps): FastifyInstance {
  const report = deps.reportError ?? reportToStderr;
  const app = Fastify({
    logger: deps.config.log,
    bodyLimit: deps.config.bodyLimitBytes,
    genReqId: generateRequestId,
    requestIdHeader: false,
    // Fastify's own 503 while closing is not in the OpenAI envelope; the hook below answers instead.
    return503OnClosing: false,
    frameworkErrors: (error, request, reply) => {
      void handleError(error, request, reply, report);
    },
    clientErrorHandler: handleClientError,
  });

  // Only JSON bodies: a text/plain body would otherwise reach the handler as a string.
  app.removeContentTypeParser("text/plain");
  app.decorateRequest("tenant", "");

  let closing = false;
  let reaper: NodeJS.Timeout | undefined;
  app.addHook("preClose", (done) => {
    closing = true;
    // A keep-alive connection whose request finishes during the drain turns idle after Fastify's
    // one-time sweep and would hold close() open until its keep-alive timeout; sweep until closed.
    reaper = setInterval(() => app.server.closeIdleConnections(), 50);
    done();
  });
  // One for the synchronous routes together: one replies subscription.
  const sync: SyncJobContext = {
    bus: deps.bus,
    names: deps.names,
    clock: deps.clock ?? systemClock,
    inbox: openOutcomeInbox(deps.bus.nc, deps.names),
  };
  app.addHook("onClose", (_instance, done) => {
    clearInterval(reaper);
    sync.inbox.close();
    done();
  });

  // First, so that every request is counted, refused ones included.
  registerMetricsRoute(app, createIngressMetrics(deps));
  app.addHook("onRequest", requestIdHook);
  app.addHook("onRequest", (request, _reply, done) => {
    // Requests still arriving on kept-alive connections while the server drains go elsewhere.
    if (closing && request.routeOptions.config.public !== true) {
      return done(new ServiceUnavailableError("The server is shutting down. Please retry."));
    }
    done();
  });
  app.addHook("onRequest", createAuthHook(deps.config.apiKeys));

  installErrorHandling(app, report);
  registerHealthRoutes(app, deps, () => closing);
  registerModelRoutes(app, deps);
  registerChatCompletionRoutes(app, deps, sync);
  if (deps.artifacts) registerImageRoutes(app, deps, deps.artifacts, sync);
  const tracked = createTrackedContext(deps);
  if (tracked) {
    registerJobRoutes(app, deps, tracked);
    registerVideoRoutes(app, deps, tracked);
  }
  return app;
}
