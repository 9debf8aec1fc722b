import type { Socket } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { openAiErrorBody } from "./dialects/openai/errors.js";
import { anthropicErrorBody } from "./dialects/anthropic/errors.js";
import { geminiErrorBody } from "./dialects/gemini/errors.js";
import { createFaultRegistry } from "./faults.js";
import { anthropicMessagesRoutes } from "./routes/anthropic-messages.js";
import { controlRoutes } from "./routes/control.js";
import { geminiRoutes } from "./routes/gemini.js";
import { openAiChatRoutes } from "./routes/openai-chat.js";
import { openAiImagesRoutes } from "./routes/openai-images.js";
import { openAiVideosRoutes, type VideoDeps } from "./routes/openai-videos.js";
import { createRequestStats } from "./stats.js";
import { createVideoStore } from "./video-tasks.js";

export interface SimAppOptions {
  /** Added before every inference response (SIM_LATENCY_MS). Default 0. */
  latencyMs?: number;
  /** When set, inference requests must present exactly this key (SIM_REQUIRE_KEY). */
  requireKey?: string | undefined;
  /** Fastify's request logging (SIM_LOG). Default false: it would skew benchmarks. */
  log?: boolean;
  /** How long a video task takes unless a fault's `video_ms` says otherwise (SIM_VIDEO_MS). Default 3000. */
  videoMs?: number;
  /** The clock video tasks age by, in ms since the epoch. Default Date.now; tests pass a fake one. */
  now?: () => number;
}

// Benchmarks send long prompts; the real APIs accept far more than Fastify's 1 MiB default.
const BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The simulated provider as a Fastify instance that is not listening yet: tests call
 * `app.inject()`, main.ts calls `app.listen()`. Each instance has its own faults and counters.
 *
 * @example
 * const app = createSimApp();
 * const res = await app.inject({ method: "POST", url: "/v1/chat/completions", payload: { model: "m", messages } });
 */
export function createSimApp(options: SimAppOptions = {}): FastifyInstance {
  const app = Fastify({ logger: options.log ?? false, bodyLimit: BODY_LIMIT });
  const deps: VideoDeps = {
    faults: createFaultRegistry(),
    stats: createRequestStats(),
    latencyMs: options.latencyMs ?? 0,
    requireKey: options.requireKey,
    hung: new Set<Socket>(),
    videos: createVideoStore(),
    videoMs: options.videoMs ?? 3000,
    now: options.now ?? Date.now,
  };

  // Every body is read as JSON whatever its content type, so `curl -d '{...}'` (form-encoded) works too.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      const error = new Error("We could not parse the JSON body of your request.") as Error & { statusCode: number };
      error.statusCode = 400;
      done(error, undefined);
    }
  });

  app.addHook("preClose", async () => {
    // A hung request would keep close() waiting forever.
    for (const socket of deps.hung) socket.destroy();
    deps.hung.clear();
    // Node closes only the connections idle when close() starts; one whose stream ends later
    // would sit in keep-alive for 72 s, so idle ones are swept until the server is closed.
    if (app.server.listening) {
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      sweep.unref();
      app.server.once("close", () => clearInterval(sweep));
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const message = `Unknown request URL: ${request.method} ${request.url.split("?")[0] ?? ""}`;
    if (request.url.startsWith("/v1beta/")) return reply.code(404).send(geminiErrorBody(404, { message }));
    if (request.url.startsWith("/v1/messages")) return reply.code(404).send(anthropicErrorBody(404, { message }));
    return reply.code(404).send(openAiErrorBody(404, { message }));
  });

  void app.register(openAiChatRoutes(deps));
  void app.register(anthropicMessagesRoutes(deps));
  void app.register(geminiRoutes(deps));
  void app.register(openAiImagesRoutes(deps));
  void app.register(openAiVideosRoutes(deps));
  void app.register(controlRoutes({ faults: deps.faults, stats: deps.stats, videos: deps.videos }));
  return app;
}
