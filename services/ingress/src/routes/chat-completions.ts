import type { FastifyInstance } from "fastify";
import { ChatCompletionRequest } from "@switchyard/contracts";
import type { IngressDeps } from "../deps.js";
import { parseBody } from "../validation.js";
import { resolveModel } from "../jobs/resolve-model.js";
import { identifyJob } from "../jobs/job-identity.js";
import { buildJob } from "../jobs/submit.js";
import { runJobSync, type SyncJobContext } from "../jobs/run-sync.js";
import { replyWithOutcome } from "../jobs/reply-outcome.js";
import { streamChatJob, type StreamJobContext } from "../streaming/stream-chat.js";

function reportToStderr(error: unknown, requestId: string): void {
  console.error(`ingress: unexpected error in stream ${requestId}:`, error);
}

/**
 * `POST /v1/chat/completions`: validate, turn the request into a `chat` job, publish it and
 * answer with the worker's `chat.completion` (or its error) when the job ends; with
 * `stream: true`, relay its tokens as server-sent events (see `streamChatJob`).
 */
export function registerChatCompletionRoutes(app: FastifyInstance, deps: IngressDeps, ctx: SyncJobContext): void {
  const streamCtx: StreamJobContext = {
    ...ctx,
    keepAliveMs: deps.config.streamKeepAliveMs,
    report: deps.reportError ?? reportToStderr,
  };
  const timeoutMs = deps.config.requestTimeoutMs;

  app.post("/v1/chat/completions", async (request, reply) => {
    const body = parseBody(ChatCompletionRequest, request.body);
    const model = resolveModel(deps.catalog, body.model, "chat");

    const { id, idempotencyKey } = identifyJob(request, reply, "job", ctx.clock.now());

    const job = buildJob({
      id,
      kind: "chat",
      model,
      tenant: request.tenant,
      request: body,
      now: ctx.clock.now(),
      timeoutMs,
      idempotencyKey,
    });
    if (body.stream === true) {
      job.stream = true;
      const includeUsage = body.stream_options?.include_usage === true;
      return streamChatJob(streamCtx, job, { includeUsage }, reply);
    }
    return replyWithOutcome(reply, await runJobSync(ctx, job, reply.raw));
  });
}
