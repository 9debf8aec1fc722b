import { describe, expect, it } from "vitest";
import { JOB_ID_PATTERN } from "@switchyard/contracts";
import { idempotentJobId, readIdempotencyKey } from "./idempotency.js";

describe("idempotency", () => {
  it("derives one stable job id per (tenant, key)", () => {
    const id = idempotentJobId("tenant-a", "key-1");
    expect(id).toMatch(JOB_ID_PATTERN);
    expect(id).toHaveLength(28);
    expect(idempotentJobId("tenant-a", "key-1")).toBe(id);
    expect(idempotentJobId("tenant-b", "key-1")).not.toBe(id);
    expect(idempotentJobId("tenant-a", "key-2")).not.toBe(id);
    // Pinned, so a change to the derivation (which would orphan in-flight retries) is noticed.
    expect(id).toBe("job_5OqUgC5VRvdCvQuEm8ERPHx9");
  });

  it("reads the header strictly", () => {
    expect(readIdempotencyKey(undefined)).toBeUndefined();
    expect(readIdempotencyKey(" abc ")).toBe("abc");
    expect(() => readIdempotencyKey("")).toThrow(/Idempotency-Key/);
    expect(() => readIdempotencyKey("x".repeat(256))).toThrow(/Idempotency-Key/);
    expect(() => readIdempotencyKey(["a", "b"])).toThrow(/at most one/);
  });
});
