import {
  JOB_TYPE_OF_KIND,
  publicErrorBody,
  toJobObject,
  type JobObject,
  type JobRecord,
  type TerminalEvent,
  type WebhookEvent,
} from "@switchyard/contracts";

/*
 * A webhook's `data` is the job object the job API shows (contracts' `toJobObject`, the same
 * mapping the ingress uses), with the stored result as it is: artifacts are named, not inlined,
 * so an event with ten images stays small.
 */

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** A job's status record as the job API shows it. */
export function renderJob(record: JobRecord): JobObject {
  return toJobObject(record, { queuePosition: null, result: record.result });
}

/**
 * The job object from its terminal event alone, for a job without a status record (a record
 * that expired, or a job submitted without one). The event knows neither the start time nor the
 * metadata.
 */
export function renderJobFromEvent(event: TerminalEvent): JobObject {
  return {
    id: event.jobId,
    object: "job",
    type: JOB_TYPE_OF_KIND[event.kind],
    model: event.model,
    status: event.type,
    progress: event.type === "completed" ? 100 : 0,
    created_at: seconds(event.createdAt),
    started_at: null,
    completed_at: seconds(event.at),
    queue_position: null,
    error: event.type === "failed" ? publicErrorBody(event.error) : null,
    result: event.type === "completed" ? event.result : null,
    metadata: null,
  };
}

/**
 * The job object for the webhook of `event`: from the status record when there is one. A record
 * that does not show the outcome yet (the worker writes it after publishing the event) takes the
 * outcome from the event, which is the authority on how the job ended.
 */
export function renderForEvent(event: TerminalEvent, record: JobRecord | null): JobObject {
  const fromEvent = renderJobFromEvent(event);
  if (!record) return fromEvent;
  const job = renderJob(record);
  if (record.status === event.type) return job;
  return {
    ...job,
    status: fromEvent.status,
    progress: event.type === "completed" ? 100 : job.progress,
    completed_at: fromEvent.completed_at,
    error: fromEvent.error ?? job.error,
    result: fromEvent.result,
  };
}

/**
 * The `webhook-id` and event id of a job's webhook: `evt_` and the job id without its prefix,
 * the same on every retry so receivers can de-duplicate.
 *
 * @example
 * webhookEventId("video_0Ab3xYz"); // "evt_0Ab3xYz"
 */
export function webhookEventId(jobId: string): string {
  return `evt_${jobId.slice(jobId.indexOf("_") + 1)}`;
}

/** The webhook event of a job's terminal event, Standard Webhooks style, as OpenAI sends them. */
export function webhookEventOf(event: TerminalEvent, record: JobRecord | null): WebhookEvent {
  return {
    id: webhookEventId(event.jobId),
    object: "event",
    type: `job.${event.type}`,
    created_at: seconds(event.at),
    data: renderForEvent(event, record),
  };
}
