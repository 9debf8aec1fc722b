import { describe, expect, it } from "vitest";
import { JOB_ID_PATTERN, createJobId, randomId } from "./index.js";

describe("ids", () => {
  it("makes job ids that match JOB_ID_PATTERN and never repeat across pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = createJobId();
      expect(id).toMatch(JOB_ID_PATTERN);
      expect(id).toHaveLength(28);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
    expect(randomId(10)).toMatch(/^[0-9A-Za-z]{10}$/);
  });
});
