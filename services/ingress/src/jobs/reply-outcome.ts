import type { FastifyReply } from "fastify";
import { BrokerError, DeadlineExceededError } from "@switchyard/contracts";
import { FailedJobError } from "../errors/failed-job-error.js";
import type { Outcome } from "./await-outcome.js";

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
  if (outcome === "timeout") throw new DeadlineExceededError("The request timed out before the model answered.");
  if (outcome instanceof BrokerError) throw outcome;
  if (outcome.type === "failed") throw new FailedJobError(outcome.error);
  return outcome.result;
}
