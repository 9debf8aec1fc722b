import { describe, expect, it } from "vitest";
import { JOB_ID_PATTERN } from "@switchyard/contracts";
import { newJobId, pooledRandomId } from "./ids.js";

describe("pooled ids", () => {
  it("makes job ids contracts accept, and never repeats across pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newJobId();
      expect(id).toMatch(JOB_ID_PATTERN);
      expect(id).toHaveLength(28);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
    expect(pooledRandomId(10)).toMatch(/^[0-9A-Za-z]{10}$/);
  });
});
