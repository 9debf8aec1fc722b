import type { FastifyRequest } from "fastify";
import { bearerToken, firstHeader } from "../api-key.js";
import { openAiAuthError } from "../dialects/openai/errors.js";

/** OpenAI's 401 when SIM_REQUIRE_KEY is set and the request's bearer key is missing or wrong. */
export function openAiKeyRejection(
  requireKey: string | undefined,
  request: FastifyRequest,
): { status: number; body: unknown } | undefined {
  if (requireKey === undefined) return undefined;
  const apiKey = bearerToken(firstHeader(request.headers.authorization));
  return apiKey === requireKey ? undefined : openAiAuthError(apiKey);
}
