import {
  normalizeUsage,
  toErrorBody,
  type AttemptRecorded,
  type BrokerError,
  type ChatCompletion,
  type EventError,
  type JobCompleted,
  type JobFailed,
  type JobStarted,
  type JobSubmitted,
  type Usage,
} from "@switchyard/contracts";

/** The identity every event of a job repeats, so the ledger can write the job row from any one. */
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
  return { ...toErrorBody(error), status: error.status };
}

export function startedEvent(job: JobSubmitted, delivery: number, worker: string, at: number): JobStarted {
  return { ...identity(job, at), type: "started", delivery, worker };
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
  return {
    ...identity(job, at),
    type: "attempt",
    attemptId: `d${facts.delivery}.a${facts.attempt}`,
    route: facts.route.id,
    upstreamModel: facts.route.upstreamModel,
    outcome: facts.error ? "error" : "ok",
    startedAt: facts.startedAt,
    latencyMs: facts.latencyMs,
    httpStatus: facts.httpStatus,
    error: facts.error ? toEventError(facts.error) : null,
    retryInMs: facts.retryInMs,
  };
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
      message: { ...choice.message, refusal: choice.message.refusal ?? null },
      logprobs: choice.logprobs ?? null,
      finish_reason: choice.finish_reason,
    })),
    usage: normalizeUsage(completion.usage),
  };
  if (completion.service_tier != null) result.service_tier = completion.service_tier;
  if (completion.system_fingerprint != null) result.system_fingerprint = completion.system_fingerprint;
  return result;
}

export interface CompletionFacts {
  route: string;
  attempts: number;
  /** Time this delivery spent on the job, from receipt to the final event. */
  latencyMs: number;
  completion: ChatCompletion;
}

export function completedEvent(job: JobSubmitted, facts: CompletionFacts, at: number): JobCompleted {
  const result = toClientCompletion(job, facts.completion);
  return {
    ...identity(job, at),
    type: "completed",
    route: facts.route,
    attempts: facts.attempts,
    latencyMs: facts.latencyMs,
    result: result as unknown as Record<string, unknown>,
    usage: result.usage,
  };
}

export interface FailureFacts {
  route: string | null;
  attempts: number;
  latencyMs: number;
  error: BrokerError;
  usage?: Usage | null;
}

export function failedEvent(job: JobSubmitted, facts: FailureFacts, at: number): JobFailed {
  return {
    ...identity(job, at),
    type: "failed",
    route: facts.route,
    attempts: facts.attempts,
    latencyMs: facts.latencyMs,
    error: toEventError(facts.error),
    usage: facts.usage ?? null,
  };
}
