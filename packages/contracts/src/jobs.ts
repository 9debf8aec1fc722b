import { z } from "zod";
import { ModelKind } from "./openai/models.js";

/**
 * A job as the ingress publishes it on `jobs.<family>.<kind>`. The request is the client's
 * body after validation; the worker checks it again against its kind's schema, because the
 * stream may hold jobs written by an older ingress.
 */
export const JobSubmitted = z.object({
  version: z.literal(1),
  id: z.string(),
  kind: ModelKind,
  family: z.string(),
  model: z.string(),
  tenant: z.string(),
  request: z.record(z.string(), z.unknown()),
  /** Epoch milliseconds when the ingress accepted the job. */
  createdAt: z.number().int(),
  /** Epoch milliseconds after which nobody waits for the answer; the worker gives up then. */
  deadlineAt: z.number().int(),
  idempotencyKey: z.string().optional(),
});
export type JobSubmitted = z.infer<typeof JobSubmitted>;
