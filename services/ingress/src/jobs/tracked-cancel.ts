import { ROOT_CONTEXT, context, trace } from "@opentelemetry/api";
import { encodeJson, publishCore, publishTerminal, restoreTraceContext } from "@switchyard/bus";
import {
  JobNotFoundError,
  ServiceUnavailableError,
  type CancelRequest,
  type JobCancelled,
  type JobRecord,
} from "@switchyard/contracts";
import { fromStore, type TrackedContext } from "./tracked.js";

export interface CancelResult {
  readonly record: JobRecord;
  /** False when the job had already ended (completed, failed or cancelled): it is unchanged. */
  readonly cancelled: boolean;
}

/**
 * Cancels a tracked job. The record turns `cancelled` under compare-and-set, so a worker moving
 * it at the same moment either wins (the job then stops on the cancel request) or finds it
 * cancelled when it picks the job up. A job that never started gets its `cancelled` event from
 * here at once, for the ledger and the webhook; a running one gets it from its worker. Both use
 * the one terminal `Nats-Msg-Id`, so a race leaves one event. Should those publishes fail, the
 * record still says cancelled, and the worker honours it when it picks the job up.
 */
export async function cancelTrackedJob(ctx: TrackedContext, tenant: string, id: string): Promise<CancelResult> {
  const at = ctx.clock.now();
  // Set inside the compare-and-set callback, which may run more than once.
  let cancelled = false as boolean;
  const record = await fromStore(() =>
    ctx.statusStore.modify(tenant, id, (current) => {
      cancelled = current.status === "queued" || current.status === "in_progress";
      return cancelled ? { ...current, status: "cancelled", finishedAt: at } : null;
    }),
  );
  if (!record) throw new JobNotFoundError(id);
  if (!cancelled) return { record, cancelled };

  try {
    const request: CancelRequest = { reason: "client" };
    publishCore(ctx.bus.nc, ctx.names.cancelSubject(id), encodeJson(request));
    if (record.startedAt === null) {
      // The event joins the job's trace (the ledger row's trace_id), linked from this request's.
      const jobContext = record.traceContext ? restoreTraceContext(record.traceContext, ROOT_CONTEXT) : undefined;
      const jobSpan = jobContext && trace.getSpanContext(jobContext);
      if (jobSpan) trace.getActiveSpan()?.addLink({ context: jobSpan });
      const event = cancelledEvent(record, at);
      const attributes = { "switchyard.job_id": id };
      await context.with(jobContext ?? context.active(), () =>
        publishTerminal(ctx.bus.publisher, ctx.names, event, attributes),
      );
    }
  } catch (cause) {
    throw new ServiceUnavailableError(
      "The job is cancelled, but the job queue could not be told yet; its worker will see it when it takes the job.",
      { cause },
    );
  }
  return { record, cancelled };
}

function cancelledEvent(record: JobRecord, at: number): JobCancelled {
  return {
    version: 1,
    type: "cancelled",
    jobId: record.id,
    tenant: record.tenant,
    kind: record.kind,
    family: record.family,
    model: record.model,
    createdAt: record.createdAt,
    at,
    route: null,
    attempts: 0,
    latencyMs: Math.max(0, at - record.createdAt),
    reason: "client",
    usage: null,
    streamEnd: null,
    webhook: record.webhook,
    units: null,
  };
}
