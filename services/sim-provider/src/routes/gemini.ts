import type { FastifyPluginAsync } from "fastify";
import { firstHeader } from "../api-key.js";
import { geminiAuthError, geminiErrorBody } from "../dialects/gemini/errors.js";
import { parseGenerateContentRequest } from "../dialects/gemini/request.js";
import {
  createGenerateMeta,
  generateContentJson,
  generateContentStream,
  streamResponses,
} from "../dialects/gemini/response.js";
import { serveCompletion, type CompletionDeps } from "../serve-completion.js";
import { createErrorHandler } from "./error-handler.js";

interface GeminiRoute {
  // "gemini-2.5-flash:generateContent": Google puts the method after a colon in the last segment.
  Params: { target: string };
  Querystring: { alt?: string; key?: string };
}

/** Gemini generateContent and streamGenerateContent (SSE with `?alt=sse`, else a JSON array). */
export function geminiRoutes(deps: CompletionDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(createErrorHandler(geminiErrorBody));

    app.post<GeminiRoute>("/v1beta/models/:target", (request, reply) => {
      const { target } = request.params;
      const colon = target.lastIndexOf(":");
      const model = target.slice(0, colon);
      const method = target.slice(colon + 1);
      if (colon <= 0 || (method !== "generateContent" && method !== "streamGenerateContent")) {
        const message = `Method not found: ${target}`;
        return reply.code(404).send(geminiErrorBody(404, { message }));
      }
      const meta = createGenerateMeta(model);
      const sse = method === "streamGenerateContent" && request.query.alt === "sse";
      return serveCompletion(deps, request, reply, {
        dialect: "gemini",
        prompt: parseGenerateContentRequest(request.body, model),
        apiKey: firstHeader(request.headers["x-goog-api-key"]) ?? request.query.key,
        authError: geminiAuthError,
        errorBody: geminiErrorBody,
        renderJson:
          method === "generateContent"
            ? (completion) => generateContentJson(completion, meta)
            : (completion) => {
                const { content, last } = streamResponses(completion, meta);
                return [...content, last];
              },
        renderStream: sse ? (completion) => generateContentStream(completion, meta) : undefined,
      });
    });
  };
}
