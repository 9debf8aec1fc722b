import { SpanStatusCode, trace } from "@opentelemetry/api";
import { BrokerError, DeadlineExceededError, type AttemptRecorded, type JobSubmitted } from "@switchyard/contracts";
import type { Route } from "@switchyard/catalog";
import { getUpstreamStatus, type ProviderAdapter } from "@switchyard/providers";
import { retryDecision, type BackoffConfig } from "./backoff.js";
import { callSignal } from "./call-signal.js";
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

export interface AttemptLoopInput<T> {
  job: JobSubmitted;
  /** The model's fallback chain, in order. */
  routes: readonly Route[];
  /** JetStream delivery count: attempt ids are `d<delivery>.a<n>`, unique across redeliveries. */
  delivery: number;
  /** The job's cancellation: no call starts, and no backoff outlasts it, once it fires. */
  signal?: AbortSignal;
  /**
   * One upstream call. `signal` fires at the call's time limit, the job's deadline or a
   * cancellation. Throw a `BrokerError` to fail the attempt (retryable ones are retried).
   */
  call(adapter: ProviderAdapter, route: Route, signal: AbortSignal): Promise<T>;
  /** The upstream's HTTP status in a successful result, for the attempt event. */
  httpStatus(result: T): number | null;
  /**
   * The call's time limit given the time left before the deadline; by default the route's
   * timeout. A stream's call lives as long as the stream, so it passes the remaining time.
   */
  callTimeoutMs?(route: Route, remainingMs: number): number;
  /**
   * Leave the successful attempt's event to the caller: a stream's attempt ends with the stream,
   * not when its first chunk arrives. The call's signal then stays armed after the call returns,
   * since the stream goes on using it (its timer runs to the time limit, at most the deadline).
   */
  deferSuccessEvent?: boolean;
  /**
   * Let a call in flight finish when the job is cancelled (no new call starts): for a call whose
   * result is needed to undo it, such as a video task's submission, which only its id can delete.
   * The call keeps its time limit.
   */
  finishCallOnCancel?: boolean;
}

export interface AttemptLoopDeps {
  providers: ProviderSource;
  clock: Clock;
  config: AttemptConfig;
  /** Receives each attempt's event as soon as the attempt ends (the caller publishes it). */
  onAttempt(event: AttemptRecorded): void;
  random?: () => number;
}

/** What a handler passes on to `runAttempts`; the attempt events go to the job's context. */
export type AttemptDeps = Omit<AttemptLoopDeps, "onAttempt">;

/** Several outcomes are normal here, so this is a result rather than a throw. */
export type AttemptOutcome<T> =
  | { ok: true; result: T; route: Route; attempts: number; startedAt: number }
  | { ok: false; error: BrokerError; route: Route | null; attempts: number };

/** The error an attempt loop ends with when the job was cancelled; the consumer reports `cancelled`. */
export class JobCancelledError extends BrokerError {
  constructor() {
    super("the job was cancelled", { status: 499, code: "cancelled", type: "invalid_request_error" });
  }
}

/**
 * Calls the model's routes in fallback order until one gives a usable answer. Per route: up to
 * `maxAttemptsPerRoute` calls, separated by backoff or the upstream's Retry-After. A
 * non-retryable error (the upstream rejected the request itself) ends the loop at once: the
 * next route would get the same request. A Retry-After beyond `maxRetryAfterMs` skips to the
 * next route. Nothing runs past the job's deadline: each call is aborted at it, and no wait
 * outlasts it. A cancellation ends the loop at once, whatever the last error was.
 */
export async function runAttempts<T>(input: AttemptLoopInput<T>, deps: AttemptLoopDeps): Promise<AttemptOutcome<T>> {
  const { job, routes, delivery, signal } = input;
  const { clock, config } = deps;
  let attempts = 0;
  let lastError: BrokerError | undefined;
  let lastRoute: Route | null = null;
  const cancelled = (): AttemptOutcome<T> => ({
    ok: false,
    error: new JobCancelledError(),
    route: lastRoute,
    attempts,
  });

  for (const [routeIndex, route] of routes.entries()) {
    const hasNextRoute = routeIndex < routes.length - 1;
    for (let onRoute = 1; onRoute <= config.maxAttemptsPerRoute; onRoute++) {
      if (signal?.aborted) return cancelled();
      const remaining = job.deadlineAt - clock.now();
      if (remaining <= 0) return { ok: false, error: new DeadlineExceededError(), route: lastRoute, attempts };
      attempts++;
      lastRoute = route;
      const startedAt = clock.now();
      const timeoutMs = input.callTimeoutMs?.(route, remaining) ?? Math.min(remaining, route.timeoutMs);
      const call = await callRoute(
        route,
        {
          timeoutMs,
          cancel: input.finishCallOnCancel === true ? undefined : signal,
          outlivesCall: input.deferSuccessEvent === true,
        },
        (callSignal) => input.call(deps.providers.forRoute(route), route, callSignal),
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
        if (!input.deferSuccessEvent) record(null, input.httpStatus(call.result), null);
        return { ok: true, result: call.result, route, attempts, startedAt };
      }
      const error = call.error;
      lastError = error;
      const httpStatus = getUpstreamStatus(error);
      if (signal?.aborted) {
        record(error, httpStatus, null);
        return cancelled();
      }
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
        await clock.sleep(step.delayMs, signal);
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

type CallResult<T> = { ok: true; result: T } | { ok: false; error: BrokerError };

/** One upstream call inside its own span, with any throw turned into a `BrokerError`. */
async function callRoute<T>(
  route: Route,
  limits: { timeoutMs: number; cancel: AbortSignal | undefined; outlivesCall: boolean },
  call: (signal: AbortSignal) => Promise<T>,
  meta: { job: JobSubmitted; attemptId: string },
): Promise<CallResult<T>> {
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
      const armed = callSignal(limits.timeoutMs, limits.cancel);
      try {
        const result = await call(armed.signal);
        return { ok: true as const, result };
      } catch (thrown) {
        const error = toBrokerError(thrown);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.setAttribute("error.type", error.code);
        return { ok: false as const, error };
      } finally {
        if (!limits.outlivesCall) armed.release();
        span.end();
      }
    },
  );
}

/**
 * Adapters throw `BrokerError`s; anything else is a bug in our own mapping code. Retrying a bug
 * gives the same result, so it fails the job (500) rather than burning the retry budget.
 */
export function toBrokerError(thrown: unknown): BrokerError {
  if (thrown instanceof BrokerError) return thrown;
  return new BrokerError("internal error while calling the upstream", {
    status: 500,
    code: "internal_error",
    cause: thrown,
  });
}

/**
 * The adapter method a kind needs, or a non-retryable error: a route whose dialect cannot serve
 * the kind is a catalog mistake, and no retry fixes it.
 */
export function requireMethod<K extends keyof ProviderAdapter>(
  adapter: ProviderAdapter,
  method: K,
  route: Route,
): NonNullable<ProviderAdapter[K]> {
  const fn = adapter[method];
  if (!fn) {
    throw new BrokerError(`route '${route.id}' (${route.dialect}) cannot serve ${method}`, {
      status: 500,
      code: "route_unsupported",
    });
  }
  return fn.bind(adapter) as NonNullable<ProviderAdapter[K]>;
}
