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

describe("time-ordered ids", () => {
  it("sort by creation time and carry their prefix", () => {
    const a = createJobId("job", 1_700_000_000_000);
    const b = createJobId("job", 1_700_000_000_001);
    const v = createJobId("video", 1_800_000_000_000);
    expect(a < b).toBe(true);
    expect(v).toMatch(/^video_[0-9A-Za-z]{24}$/);
    expect(v).toMatch(JOB_ID_PATTERN);
  });
});
