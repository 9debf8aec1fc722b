import { BrokerError, type ErrorBody, type EventError } from "@switchyard/contracts";

/**
 * A job that ended in a `failed` event. The worker already chose the public status and body, so
 * they are rendered as they are (a `code` of null stays null) rather than re-derived.
 */
export class FailedJobError extends BrokerError {
  readonly body: ErrorBody;

  constructor(error: EventError) {
    // A status outside the error range would turn a failure into a success; 502 is the safe reading.
    const status = Number.isInteger(error.status) && error.status >= 400 && error.status <= 599 ? error.status : 502;
    super(error.message, { status, type: error.type, code: error.code ?? "job_failed", param: error.param });
    this.body = { message: error.message, type: error.type, param: error.param, code: error.code };
  }
}
