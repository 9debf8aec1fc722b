import { ChatCompletionRequest } from "@switchyard/contracts";
import { requireMethod, runAttempts, type AttemptDeps } from "../attempts.js";
import { toClientCompletion } from "../events.js";
import { failed, type JobHandler } from "../job-context.js";
import { parseRequest } from "./parse-request.js";

/** Synchronous chat: one `chat.completion`, with retries and fallback over the model's routes. */
export function createChatHandler(deps: AttemptDeps): JobHandler {
  return async (ctx) => {
    const { job } = ctx;
    const request = parseRequest(ChatCompletionRequest, job.request);
    if (!request.ok) return failed(request.error);
    const outcome = await runAttempts(
      {
        job,
        routes: ctx.model.routes,
        delivery: ctx.delivery,
        signal: ctx.signal,
        call: (adapter, route, signal) => requireMethod(adapter, "chat", route)(request.data, { signal }),
        httpStatus: (result) => result.httpStatus,
      },
      Object.assign({}, deps, { onAttempt: ctx.emit }),
    );
    if (!outcome.ok) return failed(outcome.error, { route: outcome.route?.id ?? null, attempts: outcome.attempts });
    const result = toClientCompletion(job, outcome.result.completion);
    return {
      type: "completed",
      route: outcome.route.id,
      attempts: outcome.attempts,
      result: result as unknown as Record<string, unknown>,
      usage: result.usage,
    };
  };
}
