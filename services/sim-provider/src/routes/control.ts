import type { FastifyPluginAsync } from "fastify";
import { openAiErrorBody } from "../dialects/openai/errors.js";
import { FaultSpec, type FaultRegistry } from "../faults.js";
import { describeIssues } from "../issues.js";
import type { RequestStats } from "../stats.js";
import type { VideoStore } from "../video-tasks.js";
import { createErrorHandler } from "./error-handler.js";

export interface ControlDeps {
  faults: FaultRegistry;
  stats: RequestStats;
  videos: VideoStore;
}

/** The `/_sim` control API that tests use to inject faults and count upstream calls. */
export function controlRoutes(deps: ControlDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(createErrorHandler(openAiErrorBody));

    app.post("/_sim/faults", async (request, reply) => {
      const parsed = FaultSpec.safeParse(request.body ?? {});
      if (!parsed.success) {
        return reply
          .code(400)
          .send(openAiErrorBody(400, { message: `invalid fault: ${describeIssues(parsed.error)}` }));
      }
      if (parsed.data.match !== undefined) deps.stats.track(parsed.data.match);
      return reply.code(201).send(deps.faults.add(parsed.data));
    });

    app.get("/_sim/faults", async () => ({ faults: deps.faults.list() }));

    app.delete("/_sim/faults", async () => ({ deleted: deps.faults.clear() }));

    app.delete<{ Params: { id: string } }>("/_sim/faults/:id", async (request, reply) => {
      if (deps.faults.remove(request.params.id)) return { deleted: 1 };
      return reply.code(404).send(openAiErrorBody(404, { message: `no fault with id ${request.params.id}` }));
    });

    const snapshot = () => ({
      ...deps.stats.snapshot(),
      video_tasks_created: deps.videos.createdCount(),
      video_tasks_by_match: Object.fromEntries(
        deps.stats.matches().map((match) => [match, deps.videos.count(match).created]),
      ),
    });

    app.get("/_sim/stats", async () => snapshot());

    app.delete("/_sim/stats", async () => {
      deps.stats.reset();
      deps.videos.resetCounters();
      return snapshot();
    });

    app.get<{ Querystring: { match?: string } }>("/_sim/requests", async (request) => {
      const match = request.query.match ?? "";
      if (match === "") {
        const stats = deps.stats.snapshot();
        return { match, count: stats.requests, aborted: stats.streams_aborted };
      }
      return { match, count: deps.stats.count(match), aborted: deps.stats.countAborted(match) };
    });

    // Video tasks whose prompt contains the substring (every task without one) and the status
    // polls for them: how tests check that a re-delivered job made exactly one upstream task.
    app.get<{ Querystring: { match?: string } }>("/_sim/videos", async (request) => {
      const match = request.query.match ?? "";
      return { match, ...deps.videos.count(match) };
    });

    app.get("/healthz", async () => ({ status: "ok" }));
  };
}
