import type { FastifyPluginAsync } from "fastify";
import { bearerToken, firstHeader } from "../api-key.js";
import { openAiAuthError, openAiErrorBody } from "../dialects/openai/errors.js";
import { parseChatRequest } from "../dialects/openai/request.js";
import { chatCompletionJson, chatCompletionStream, createResponseMeta } from "../dialects/openai/response.js";
import { serveCompletion, type CompletionDeps } from "../serve-completion.js";
import { createErrorHandler } from "./error-handler.js";

/** The models `GET /v1/models` lists: those config/catalog.yaml routes to the sim. Chat accepts any id. */
const MODELS = [
  { id: "gpt-4o-mini", created: 1721172741, owned_by: "system" },
  { id: "gpt-4o", created: 1715367049, owned_by: "system" },
  { id: "claude-sonnet-4-5", created: 1759104000, owned_by: "anthropic" },
  { id: "gemini-2.5-flash", created: 1750118400, owned_by: "google" },
  { id: "gemini-3.1-pro-preview", created: 1771459200, owned_by: "google" },
];

/** OpenAI Chat Completions and the model list. */
export function openAiChatRoutes(deps: CompletionDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(createErrorHandler(openAiErrorBody));

    app.post("/v1/chat/completions", (request, reply) => {
      const parsed = parseChatRequest(request.body);
      const meta = createResponseMeta(parsed.model);
      return serveCompletion(deps, request, reply, {
        dialect: "openai",
        prompt: parsed.prompt,
        apiKey: bearerToken(firstHeader(request.headers.authorization)),
        authError: openAiAuthError,
        errorBody: openAiErrorBody,
        renderJson: (completion) => chatCompletionJson(completion, meta, parsed.logprobs),
        renderStream: parsed.stream
          ? (completion) => chatCompletionStream(completion, meta, parsed.includeUsage, parsed.logprobs)
          : undefined,
      });
    });

    app.get("/v1/models", async () => ({
      object: "list",
      data: MODELS.map((model) => ({
        id: model.id,
        object: "model",
        created: model.created,
        owned_by: model.owned_by,
      })),
    }));

    app.get<{ Params: { id: string } }>("/v1/models/:id", async (request) => {
      const known = MODELS.find((model) => model.id === request.params.id);
      return {
        id: request.params.id,
        object: "model",
        created: known?.created ?? 1700000000,
        owned_by: known?.owned_by ?? "system",
      };
    });
  };
}
