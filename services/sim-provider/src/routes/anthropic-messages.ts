import type { FastifyPluginAsync } from "fastify";
import { bearerToken, firstHeader } from "../api-key.js";
import { anthropicAuthError, anthropicErrorBody } from "../dialects/anthropic/errors.js";
import { parseMessagesRequest } from "../dialects/anthropic/request.js";
import { createMessageMeta, messageJson, messageStream } from "../dialects/anthropic/response.js";
import { serveCompletion, type CompletionDeps } from "../serve-completion.js";
import { createErrorHandler } from "./error-handler.js";

/** Anthropic Messages. The anthropic-version header is accepted but not required. */
export function anthropicMessagesRoutes(deps: CompletionDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(createErrorHandler(anthropicErrorBody));

    app.post("/v1/messages", (request, reply) => {
      const parsed = parseMessagesRequest(request.body);
      const meta = createMessageMeta(parsed.model);
      return serveCompletion(deps, request, reply, {
        dialect: "anthropic",
        prompt: parsed.prompt,
        // x-api-key is the documented way; OAuth-style clients send a bearer token instead.
        apiKey: firstHeader(request.headers["x-api-key"]) ?? bearerToken(firstHeader(request.headers.authorization)),
        authError: anthropicAuthError,
        errorBody: anthropicErrorBody,
        renderJson: (completion) => messageJson(completion, meta),
        renderStream: parsed.stream ? (completion) => messageStream(completion, meta) : undefined,
      });
    });
  };
}
