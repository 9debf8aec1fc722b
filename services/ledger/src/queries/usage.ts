import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "@switchyard/db";

export const USAGE_GROUPS = ["day", "tenant", "model", "route"] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageQuery {
  /** First UTC day included, `YYYY-MM-DD`. */
  from?: string;
  /** Last UTC day included, `YYYY-MM-DD`. */
  to?: string;
  tenant?: string;
  model?: string;
  groupBy: readonly UsageGroup[];
}

/** One rollup row: the grouped keys present, then the sums. */
export interface UsageBucket {
  day?: string;
  tenant?: string;
  model?: string;
  route?: string | null;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  images: number;
  video_seconds: number;
  cost_usd: number;
}

const GROUP_EXPRESSIONS: Record<UsageGroup, RawBuilder<unknown>> = {
  day: sql`to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD')`,
  tenant: sql.ref("tenant"),
  model: sql.ref("model"),
  route: sql.ref("route"),
};

/** Output order: day, then model, then the rest. */
const ORDER: readonly UsageGroup[] = ["day", "model", "tenant", "route"];

const SUMS = [
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "cached_tokens",
  "reasoning_tokens",
  "images",
  "video_seconds",
] as const;

/**
 * Sums the `usage` table (one row per finished job) by the requested keys. Days are UTC and
 * both ends of the range are inclusive; the range is turned into a `recorded_at` interval so
 * the index on it is used.
 *
 * @example
 * await queryUsage(db, { from: "2026-11-01", to: "2026-11-30", groupBy: ["model", "day"] });
 */
export async function queryUsage(db: Kysely<Database>, query: UsageQuery): Promise<UsageBucket[]> {
  const groups = ORDER.filter((g) => query.groupBy.includes(g));
  const conditions: RawBuilder<unknown>[] = [];
  if (query.from) conditions.push(sql`recorded_at >= ${startOfDay(query.from)}`);
  if (query.to) conditions.push(sql`recorded_at < ${startOfDay(query.to, 1)}`);
  if (query.tenant !== undefined) conditions.push(sql`tenant = ${query.tenant}`);
  if (query.model !== undefined) conditions.push(sql`model = ${query.model}`);
  const selections = [
    ...groups.map((g) => sql`${GROUP_EXPRESSIONS[g]} as ${sql.ref(g)}`),
    sql`count(*) as requests`,
    ...SUMS.map((column) => sql`coalesce(sum(${sql.ref(column)}), 0) as ${sql.ref(column)}`),
    sql`coalesce(sum(cost_usd), 0) as cost_usd`,
  ];
  const where = conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const grouping = groups.length > 0 ? sql`group by ${sql.join(groups.map((g) => GROUP_EXPRESSIONS[g]))}` : sql``;
  const ordering =
    groups.length > 0 ? sql`order by ${sql.join(groups.map((g) => sql`${GROUP_EXPRESSIONS[g]} nulls first`))}` : sql``;
  const { rows } = await sql<Record<string, unknown>>`
    select ${sql.join(selections)} from usage ${where} ${grouping} ${ordering}`.execute(db);
  return rows.map((row) => {
    const bucket: UsageBucket = {
      requests: Number(row["requests"]),
      prompt_tokens: Number(row["prompt_tokens"]),
      completion_tokens: Number(row["completion_tokens"]),
      total_tokens: Number(row["total_tokens"]),
      cached_tokens: Number(row["cached_tokens"]),
      reasoning_tokens: Number(row["reasoning_tokens"]),
      images: Number(row["images"]),
      video_seconds: Number(row["video_seconds"]),
      cost_usd: Number(row["cost_usd"]),
    };
    const keys: Partial<UsageBucket> = {};
    for (const g of groups) (keys as Record<string, unknown>)[g] = row[g] ?? null;
    return { ...keys, ...bucket };
  });
}

function startOfDay(day: string, plusDays = 0): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  // setUTCFullYear rather than Date.UTC, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d + plusDays);
  return date;
}
