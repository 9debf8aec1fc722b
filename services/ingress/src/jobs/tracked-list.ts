import { z } from "zod";
import { JOB_ID_PATTERN, type JobRecord } from "@switchyard/contracts";
import { toInvalidRequest } from "../validation.js";
import { fromStore, type TrackedContext } from "./tracked.js";

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().regex(JOB_ID_PATTERN, "must be a job or video id").optional(),
  order: z.enum(["asc", "desc"]).default("desc"),
});
export type ListQuery = z.infer<typeof ListQuery>;

/** Query parameters of a list endpoint; a bad one is a 400 naming it. */
export function parseListQuery(query: unknown): ListQuery {
  const result = ListQuery.safeParse(query ?? {});
  if (!result.success) throw toInvalidRequest(result.error, query);
  return result.data;
}

/**
 * Creation order: ids are `<prefix>_<time><random>`, so what follows the prefix sorts by time
 * (`job_` and `video_` ids interleave). Ids derived from an Idempotency-Key carry a hash there
 * instead, and sort among the others by it.
 */
export function compareIds(a: string, b: string): number {
  const ka = a.slice(a.indexOf("_") + 1);
  const kb = b.slice(b.indexOf("_") + 1);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every id after the cursor, in the given order; the cursor need not exist any more (a deleted job). */
export function idsAfter(ids: readonly string[], query: Pick<ListQuery, "after" | "order">): string[] {
  const direction = query.order === "desc" ? -1 : 1;
  const sorted = [...ids].sort((a, b) => direction * compareIds(a, b));
  const after = query.after;
  return after === undefined ? sorted : sorted.filter((id) => direction * compareIds(id, after) > 0);
}

export interface RecordPage {
  readonly records: JobRecord[];
  readonly hasMore: boolean;
}

/**
 * The tenant's records for one page; `prefix` narrows the ids (`video_` for the Videos API).
 * A removed job's key stays listed (its purge marker) until retention drops it, so the ids are
 * read in order until `limit` records and one more are found: a page of deleted videos is
 * skipped, not answered as an empty page with `has_more` and no cursor to go on from.
 */
export async function listRecords(
  ctx: TrackedContext,
  tenant: string,
  query: ListQuery,
  prefix?: string,
): Promise<RecordPage> {
  const all = await fromStore(() => ctx.statusStore.listIds(tenant));
  const ids = idsAfter(prefix === undefined ? all : all.filter((id) => id.startsWith(prefix)), query);
  const records: JobRecord[] = [];
  for (let next = 0; records.length <= query.limit && next < ids.length;) {
    const batch = ids.slice(next, next + query.limit + 1 - records.length);
    next += batch.length;
    const stored = await fromStore(() => Promise.all(batch.map((id) => ctx.statusStore.get(tenant, id))));
    for (const entry of stored) if (entry) records.push(entry.record);
  }
  return { records: records.slice(0, query.limit), hasMore: records.length > query.limit };
}

/** The OpenAI list envelope with cursor fields. */
export function listBody<T extends { id: string }>(
  data: T[],
  hasMore: boolean,
): { object: "list"; data: T[]; first_id: string | null; last_id: string | null; has_more: boolean } {
  return { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}
