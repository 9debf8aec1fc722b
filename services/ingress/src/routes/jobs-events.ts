import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  BrokerError,
  TERMINAL_JOB_STATUSES,
  toErrorBody,
  type ErrorBody,
  type JobObject,
  type JobRecord,
} from "@switchyard/contracts";
import { fromStore, getRecordOr404, parseJobIdParam, type TrackedContext } from "../jobs/tracked.js";
import { REQUEST_ID_HEADER, ensureRequestId } from "../request-id.js";

const HEARTBEAT_MS = 15_000;

function frame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

function isTerminal(record: JobRecord): boolean {
  return TERMINAL_JOB_STATUSES.includes(record.status);
}

/**
 * `GET /v1/jobs/{id}/events`: Server-Sent Events carrying the job object on every change of
 * status or progress, from the KV watch of its record. The stream closes after the terminal
 * object (at once for a job that has already ended); a client that leaves stops the watch, and
 * so does the server shutting down.
 */
export function registerJobEventRoutes(
  app: FastifyInstance,
  ctx: TrackedContext,
  rendererFor: (request: FastifyRequest) => (record: JobRecord) => Promise<JobObject>,
): void {
  const open = new Set<ServerResponse>();
  app.addHook("preClose", (done) => {
    // An event stream never ends by itself; the client reconnects to another instance.
    for (const response of open) response.end();
    done();
  });

  app.get<{ Params: { id: string } }>("/v1/jobs/:id/events", async (request, reply) => {
    const id = parseJobIdParam(request.params.id);
    const tenant = request.tenant;
    const first = await getRecordOr404(ctx, tenant, id);
    // A fresh renderer per frame: a renderer fetches queue state once and keeps it.
    const render = (record: JobRecord): Promise<JobObject> => rendererFor(request)(record);
    // An ended job is rendered before the stream opens, so a failure to render is still a JSON error.
    const ended = isTerminal(first) ? frame(await render(first)) : null;
    const watch = ended === null ? await fromStore(() => ctx.statusStore.watch(tenant, id)) : null;

    const response = reply.raw;
    reply.hijack();
    response.writeHead(200, {
      [REQUEST_ID_HEADER]: ensureRequestId(request, reply),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    if (!watch) {
      response.end(ended);
      return;
    }

    open.add(response);
    const stop = (): void => watch.stop();
    response.once("close", stop);
    const heartbeat = setInterval(() => {
      response.write(": keep-alive\n\n");
      // A deleted record never changes again, so its watch would never end by itself.
      void ctx.statusStore.get(tenant, id).then(
        (stored) => stored === null && stop(),
        () => undefined,
      );
    }, HEARTBEAT_MS);

    let last: Pick<JobRecord, "status" | "progress"> | undefined;
    try {
      for await (const record of watch) {
        if (last?.status === record.status && last.progress === record.progress) continue;
        last = record;
        response.write(frame(await render(record)));
        if (isTerminal(record)) break;
      }
    } catch (error) {
      // Mid-stream errors go out as an error object, then the stream closes.
      const body: ErrorBody =
        error instanceof BrokerError
          ? toErrorBody(error)
          : {
              message: "The job's status could not be read.",
              type: "server_error",
              param: null,
              code: "internal_error",
            };
      if (!response.destroyed) response.write(frame({ error: body }));
    } finally {
      clearInterval(heartbeat);
      stop();
      response.off("close", stop);
      open.delete(response);
      response.end();
    }
  });
}
