import { SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BrokerError,
  DeadlineExceededError,
  type AttemptRecorded,
  type ChatCompletionRequest,
  type JobSubmitted,
} from "@switchyard/contracts";
import type { Route } from "@switchyard/catalog";
import { getUpstreamStatus, type ChatResult, type ProviderAdapter } from "@switchyard/providers";
import { retryDecision, type BackoffConfig } from "./backoff.js";
import type { Clock } from "./clock.js";
import { attemptEvent } from "./events.js";

const tracer = trace.getTracer("@switchyard/provider-worker");

export interface AttemptConfig extends BackoffConfig {
  readonly maxAttemptsPerRoute: number;
}

/** Hands out the adapter of a route; the worker keeps one per route for the process's life. */
export interface ProviderSource {
  forRoute(route: Route): ProviderAdapter;
}

export interface AttemptLoopInput {
  job: JobSubmitted;
  request: ChatCompletionRequest;
  /** The model's fallback chain, in order. */
  routes: readonly Route[];
  /** JetStream delivery count: attempt ids are `d<delivery>.a<n>`, unique across redeliveries. */
  delivery: number;
}

export interface AttemptLoopDeps {
  providers: ProviderSource;
  clock: Clock;
  config: AttemptConfig;
  /** Receives each attempt's event as soon as the attempt ends (the caller publishes it). */
  onAttempt(event: AttemptRecorded): void;
  random?: () => number;
}

/** Several outcomes are normal here, so this is a result rather than a throw. */
export type AttemptOutcome =
  | { ok: true; result: ChatResult; route: Route; attempts: number }
  | { ok: false; error: BrokerError; route: Route | null; attempts: number };

/**
 * Calls the model's routes in fallback order until one gives a usable answer. Per route: up to
 * `maxAttemptsPerRoute` calls, separated by backoff or the upstream's Retry-After. A
 * non-retryable error (the upstream rejected the request itself) ends the loop at once: the
 * next route would get the same request. A Retry-After beyond `maxRetryAfterMs` skips to the
 * next route. Nothing runs past the job's deadline: each call is aborted at it, and no wait
 * outlasts it.
 */
export async function runAttempts(input: AttemptLoopInput, deps: AttemptLoopDeps): Promise<AttemptOutcome> {
  const { job, request, routes, delivery } = input;
  const { clock, config } = deps;
  let attempts = 0;
  let lastError: BrokerError | undefined;
  let lastRoute: Route | null = null;

  for (const [routeIndex, route] of routes.entries()) {
    const hasNextRoute = routeIndex < routes.length - 1;
    for (let onRoute = 1; onRoute <= config.maxAttemptsPerRoute; onRoute++) {
      const remaining = job.deadlineAt - clock.now();
      if (remaining <= 0) return { ok: false, error: new DeadlineExceededError(), route: lastRoute, attempts };
      attempts++;
      lastRoute = route;
      const startedAt = clock.now();
      const call = await callRoute(
        deps.providers.forRoute(route),
        request,
        route,
        Math.min(remaining, route.timeoutMs),
        {
          job,
          attemptId: `d${delivery}.a${attempts}`,
        },
      );
      const latencyMs = Math.max(0, clock.now() - startedAt);
      const record = (error: BrokerError | null, httpStatus: number | null, retryInMs: number | null): void => {
        deps.onAttempt(
          attemptEvent(
            job,
            { delivery, attempt: attempts, route, startedAt, latencyMs, httpStatus, error, retryInMs },
            clock.now(),
          ),
        );
      };

      if (call.ok) {
        record(null, call.result.httpStatus, null);
        return { ok: true, result: call.result, route, attempts };
      }
      const error = call.error;
      lastError = error;
      const httpStatus = getUpstreamStatus(error);
      if (clock.now() >= job.deadlineAt) {
        record(error, httpStatus, null);
        return { ok: false, error: new DeadlineExceededError(), route, attempts };
      }
      if (!error.retryable) {
        record(error, httpStatus, null);
        return { ok: false, error, route, attempts };
      }

      const step = planNext(error, { onRoute, hasNextRoute, now: clock.now(), deadlineAt: job.deadlineAt }, deps);
      if (step.kind === "retry-route") {
        record(error, httpStatus, step.delayMs);
        await clock.sleep(step.delayMs);
        continue;
      }
      if (step.kind === "give-up") {
        record(error, httpStatus, null);
        return { ok: false, error, route, attempts };
      }
      record(error, httpStatus, 0);
      break;
    }
  }
  const none = new BrokerError(`model '${job.model}' has no routes`, { status: 500, code: "internal_error" });
  return { ok: false, error: lastError ?? none, route: lastRoute, attempts };
}

type NextStep = { kind: "retry-route"; delayMs: number } | { kind: "next-route" } | { kind: "give-up" };

/**
 * After a retryable failure: wait and call the same route again while it has attempts left and
 * the wait ends before the deadline; otherwise fall back to the next route at once (its outage
 * is not this route's), or give up when none is left.
 */
function planNext(
  error: BrokerError,
  at: { onRoute: number; hasNextRoute: boolean; now: number; deadlineAt: number },
  deps: Pick<AttemptLoopDeps, "config" | "random">,
): NextStep {
  if (at.onRoute < deps.config.maxAttemptsPerRoute) {
    const decision = retryDecision(error, at.onRoute, deps.config, deps.random);
    if (decision.action === "retry" && at.now + decision.delayMs < at.deadlineAt) {
      return { kind: "retry-route", delayMs: decision.delayMs };
    }
  }
  return at.hasNextRoute ? { kind: "next-route" } : { kind: "give-up" };
}

type CallResult = { ok: true; result: ChatResult } | { ok: false; error: BrokerError };

/** One upstream call inside its own span, with any throw turned into a `BrokerError`. */
async function callRoute(
  provider: ProviderAdapter,
  request: ChatCompletionRequest,
  route: Route,
  timeoutMs: number,
  meta: { job: JobSubmitted; attemptId: string },
): Promise<CallResult> {
  return tracer.startActiveSpan(
    `attempt ${route.id}`,
    {
      attributes: {
        "switchyard.job_id": meta.job.id,
        "switchyard.attempt_id": meta.attemptId,
        "switchyard.route": route.id,
      },
    },
    async (span) => {
      try {
        const result = await provider.chat(request, { signal: AbortSignal.timeout(Math.max(1, timeoutMs)) });
        return { ok: true as const, result };
      } catch (thrown) {
        const error = toBrokerError(thrown);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.setAttribute("error.type", error.code);
        return { ok: false as const, error };
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Adapters throw `BrokerError`s; anything else is a bug in our own mapping code. Retrying a bug
 * gives the same result, so it fails the job (500) rather than burning the retry budget.
 */
function toBrokerError(thrown: unknown): BrokerError {
  if (thrown instanceof BrokerError) return thrown;
  return new BrokerError("internal error while calling the upstream", {
    status: 500,
    code: "internal_error",
    cause: thrown,
  });
}
