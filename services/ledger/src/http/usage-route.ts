import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "@switchyard/db";
import { USAGE_GROUPS, queryUsage } from "../queries/usage.js";
import { parseQuery } from "./validation.js";

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD")
  .refine((s) => {
    // zod runs this even when the pattern failed, so an unparsable string must not throw here.
    const date = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(s);
  }, "is not a calendar date");

const GroupBy = z
  .string()
  .transform((s) => [
    ...new Set(
      s
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(
    z
      .array(z.enum(USAGE_GROUPS, { error: `must list keys among ${USAGE_GROUPS.join(", ")}` }))
      .min(1, `must list keys among ${USAGE_GROUPS.join(", ")}`),
  );

/** A tenant or model to filter by. PostgreSQL text cannot hold NUL (the ledger strips it from what it stores). */
const Name = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");

/** Unknown parameters are refused rather than ignored: a misspelt filter must not widen the answer. */
export const UsageParams = z
  .strictObject({
    from: Day.optional(),
    to: Day.optional(),
    tenant: Name.optional(),
    model: Name.optional(),
    group_by: GroupBy.default(["model", "day"]),
  })
  .refine((p) => !p.from || !p.to || p.from <= p.to, { path: ["to"], message: "must not be before from" });

/**
 * `GET /v1/usage`: requests, tokens, images, video seconds and cost summed by day (UTC), model,
 * tenant and/or route.
 *
 * @example
 * GET /v1/usage?from=2026-11-01&to=2026-11-30&group_by=model,day
 * {"object":"list","data":[{"day":"2026-11-26","model":"gpt-4o-mini","requests":3,...,"cost_usd":0.0000123}]}
 */
export function registerUsageRoute(app: FastifyInstance, db: Kysely<Database>): void {
  app.get("/v1/usage", async (request) => {
    const params = parseQuery(UsageParams, request.query);
    const data = await queryUsage(db, {
      from: params.from,
      to: params.to,
      tenant: params.tenant,
      model: params.model,
      groupBy: params.group_by,
    });
    return { object: "list", data };
  });
}
