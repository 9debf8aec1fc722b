import {
  normalizeUsage,
  toErrorBody,
  type AttemptRecorded,
  type BillableUnits,
  type BrokerError,
  type ChatCompletion,
  type EventError,
  type JobCancelled,
  type JobCompleted,
  type JobFailed,
  type JobProgressed,
  type JobStarted,
  type JobSubmitted,
  type StreamEnd,
  type Usage,
} from "@switchyard/contracts";

/**
 * The identity every event of a job repeats, so the ledger can write the job row from any one.
 * Builders add their fields with `Object.assign` rather than `{ ...identity(job, at), type }`:
 * on Node 20, V8 leaves its fast path when properties follow a spread, and an event cost ~2-9 µs
 * to build instead of ~0.1 µs.
 */
function identity(job: JobSubmitted, at: number) {
  return {
    version: 1 as const,
    jobId: job.id,
    tenant: job.tenant,
    kind: job.kind,
    family: job.family,
    model: job.model,
    createdAt: job.createdAt,
    at,
  };
}

/** The error as events carry it: the OpenAI error body plus the HTTP status the API answers with. */
export function toEventError(error: BrokerError): EventError {
  return Object.assign(toErrorBody(error), { status: error.status });
}

export function startedEvent(job: JobSubmitted, delivery: number, worker: string, at: number): JobStarted {
  return Object.assign(identity(job, at), { type: "started" as const, delivery, worker });
}

export interface AttemptFacts {
  delivery: number;
  /** 1-based across every route of this delivery. */
  attempt: number;
  route: { id: string; upstreamModel: string };
  startedAt: number;
  latencyMs: number;
  httpStatus: number | null;
  error: BrokerError | null;
  retryInMs: number | null;
}

export function attemptEvent(job: JobSubmitted, facts: AttemptFacts, at: number): AttemptRecorded {
  return Object.assign(identity(job, at), {
    type: "attempt" as const,
    attemptId: `d${facts.delivery}.a${facts.attempt}`,
    route: facts.route.id,
    upstreamModel: facts.route.upstreamModel,
    outcome: facts.error ? ("error" as const) : ("ok" as const),
    startedAt: facts.startedAt,
    latencyMs: facts.latencyMs,
    httpStatus: facts.httpStatus,
    error: facts.error ? toEventError(facts.error) : null,
    retryInMs: facts.retryInMs,
  });
}

export function progressEvent(
  job: JobSubmitted,
  facts: { progress: number; upstreamTaskId: string | null },
  at: number,
): JobProgressed {
  return Object.assign(identity(job, at), {
    type: "progress" as const,
    progress: facts.progress,
    upstreamTaskId: facts.upstreamTaskId,
  });
}

/**
 * The `chat.completion` the client receives, whichever route answered: the id derives from
 * the job id (so a redelivered job answers with the same id), `created` is when the job was
 * accepted, `model` is the public model id the client asked for, and usage has every detail
 * field. Upstream-only fields (the upstream's id and model name) stay out.
 */
export function toClientCompletion(job: JobSubmitted, completion: ChatCompletion): ChatCompletion {
  const result: ChatCompletion = {
    id: `chatcmpl-${job.id.replace(/^job_/, "")}`,
    object: "chat.completion",
    created: Math.floor(job.createdAt / 1000),
    model: job.model,
    choices: completion.choices.map((choice) => ({
      index: choice.index,
      message: Object.assign({}, choice.message, { refusal: choice.message.refusal ?? null }),
      logprobs: choice.logprobs ?? null,
      finish_reason: choice.finish_reason,
    })),
    usage: normalizeUsage(completion.usage),
  };
  if (completion.service_tier != null) result.service_tier = completion.service_tier;
  if (completion.system_fingerprint != null) result.system_fingerprint = completion.system_fingerprint;
  return result;
}

/** What every terminal event records besides its own type's fields. */
export interface TerminalFacts {
  route: string | null;
  attempts: number;
  /** Time this delivery spent on the job, from receipt to the final event. */
  latencyMs: number;
  /** Tokens the upstream charged (for a failure or a cancellation: the part it charged before). */
  usage?: Usage | null;
  units?: BillableUnits | null;
  streamEnd?: StreamEnd | null;
  /** Streamed jobs: token chunks published before this event. */
  chunks?: number;
}

/** The fields the three terminal types share; the webhook target rides along for the dispatcher. */
function terminal(job: JobSubmitted, facts: TerminalFacts) {
  const fields: Pick<
    JobCompleted,
    "attempts" | "latencyMs" | "usage" | "streamEnd" | "webhook" | "units" | "chunks" | "requestHash"
  > = {
    attempts: facts.attempts,
    latencyMs: facts.latencyMs,
    usage: facts.usage ?? null,
    streamEnd: facts.streamEnd ?? null,
    webhook: job.webhook ?? null,
    units: facts.units ?? null,
  };
  if (facts.chunks !== undefined) fields.chunks = facts.chunks;
  if (job.requestHash !== undefined) fields.requestHash = job.requestHash;
  return fields;
}

export interface CompletionFacts extends TerminalFacts {
  route: string;
  /** The object the synchronous endpoint returns (a `chat.completion`, an images result, a video). */
  result: Record<string, unknown>;
}

export function completedEvent(job: JobSubmitted, facts: CompletionFacts, at: number): JobCompleted {
  return Object.assign(identity(job, at), { type: "completed" as const }, terminal(job, facts), {
    route: facts.route,
    result: facts.result,
  });
}

/** The completed event of a chat job: the client's `chat.completion` and its usage. */
export function chatCompletedEvent(
  job: JobSubmitted,
  facts: Omit<CompletionFacts, "result" | "usage"> & { completion: ChatCompletion },
  at: number,
): JobCompleted {
  const { completion, ...rest } = facts;
  const result = toClientCompletion(job, completion);
  return completedEvent(
    job,
    { ...rest, result: result as unknown as Record<string, unknown>, usage: result.usage },
    at,
  );
}

export interface FailureFacts extends TerminalFacts {
  error: BrokerError;
}

export function failedEvent(job: JobSubmitted, facts: FailureFacts, at: number): JobFailed {
  return Object.assign(identity(job, at), { type: "failed" as const }, terminal(job, facts), {
    route: facts.route,
    error: toEventError(facts.error),
  });
}

export interface CancellationFacts extends TerminalFacts {
  reason: JobCancelled["reason"];
}

export function cancelledEvent(job: JobSubmitted, facts: CancellationFacts, at: number): JobCancelled {
  return Object.assign(identity(job, at), { type: "cancelled" as const }, terminal(job, facts), {
    route: facts.route,
    reason: facts.reason,
  });
}
