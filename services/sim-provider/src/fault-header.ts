import { FaultSpec } from "./faults.js";
import { describeIssues } from "./issues.js";

/** The request header that carries a one-off fault, e.g. `x-sim-fault: status=500;retry_after=1`. */
export const FAULT_HEADER = "x-sim-fault";

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Parses the compact `key=value;key;...` form of a fault: a bare key means true, numbers and
 * true/false are converted, anything else stays a string. Throws an Error naming the problem.
 *
 * @example
 * parseFaultHeader("status=429;retry_after=2"); // { status: 429, retry_after: 2 }
 */
export function parseFaultHeader(header: string): FaultSpec {
  const raw: Record<string, unknown> = {};
  for (const item of header.split(";")) {
    const entry = item.trim();
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    if (eq === -1) {
      raw[entry] = true;
      continue;
    }
    const value = entry.slice(eq + 1).trim();
    raw[entry.slice(0, eq).trim()] =
      value === "true" ? true : value === "false" ? false : NUMBER.test(value) ? Number(value) : value;
  }
  const parsed = FaultSpec.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid ${FAULT_HEADER} header: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
