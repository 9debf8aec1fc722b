import type { FastifyReply } from "fastify";
import { BrokerError, DeadlineExceededError, type JobCancelled, type JobCompleted } from "@switchyard/contracts";
import { FailedJobError } from "../errors/failed-job-error.js";
import type { Outcome } from "./await-outcome.js";

/**
 * A job called off (`POST /v1/jobs/{id}/cancel`, a streaming client that left, a broken stream)
 * while another request waited for it. 409: the request was fine, the job's state ended it.
 */
export function cancelledJobError(event: Pick<JobCancelled, "reason">): BrokerError {
  return new BrokerError(`The job was cancelled ${CANCELLED_BY[event.reason]} before it finished.`, {
    status: 409,
    code: "job_cancelled",
  });
}

const CANCELLED_BY: Readonly<Record<JobCancelled["reason"], string>> = {
  client: "on request",
  client_closed: "because its client disconnected",
  stream_broken: "because its stream broke between the broker's services",
};

export function isCompleted(outcome: Outcome): outcome is JobCompleted {
  return typeof outcome === "object" && !(outcome instanceof BrokerError) && outcome.type === "completed";
}

/**
 * The error a wait that did not complete stands for. Streaming renders it in-band once the
 * headers are out; everyone else throws it.
 */
export function outcomeError(outcome: Exclude<Outcome, JobCompleted | "aborted">): BrokerError {
  if (outcome === "timeout") return new DeadlineExceededError("The request timed out before the model answered.");
  if (outcome instanceof BrokerError) return outcome;
  if (outcome.type === "failed") return new FailedJobError(outcome.error);
  return cancelledJobError(outcome);
}

/**
 * The HTTP answer for a finished wait: `completed` sends the worker's result object exactly as
 * the body; everything else is thrown for the error handler. Returns undefined when the client
 * already left, after telling Fastify not to answer.
 */
export function replyWithOutcome(reply: FastifyReply, outcome: Outcome): Record<string, unknown> | undefined {
  if (outcome === "aborted") {
    reply.hijack();
    return undefined;
  }
  if (isCompleted(outcome)) return outcome.result;
  throw outcomeError(outcome);
}
