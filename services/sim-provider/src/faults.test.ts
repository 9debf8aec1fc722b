import { describe, expect, it } from "vitest";
import { parseFaultHeader } from "./fault-header.js";
import { createFaultRegistry, FaultSpec } from "./faults.js";

describe("fault registry", () => {
  it("fires once by default, then the rule is gone", () => {
    const faults = createFaultRegistry();
    const rule = faults.add({ status: 500 });
    expect(rule).toMatchObject({ id: "fault_1", status: 500, times: 1, remaining: 1, fired: 0 });
    expect(faults.take("anything")).toMatchObject({ id: "fault_1", status: 500 });
    expect(faults.take("anything")).toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  it("counts times", () => {
    const faults = createFaultRegistry();
    faults.add({ status: 503, times: 2 });
    expect(faults.take("")).toMatchObject({ remaining: 1, fired: 1 });
    expect(faults.take("")).toMatchObject({ remaining: 0, fired: 2 });
    expect(faults.take("")).toBeUndefined();
  });

  it("keeps sticky and times -1 rules until deleted", () => {
    const faults = createFaultRegistry();
    const sticky = faults.add({ match: "s", status: 500, sticky: true });
    faults.add({ match: "t", status: 500, times: -1 });
    for (let i = 0; i < 5; i++) {
      expect(faults.take("s")).toMatchObject({ id: sticky.id });
      expect(faults.take("t")).toMatchObject({ match: "t" });
    }
    expect(faults.remove(sticky.id)).toBe(true);
    expect(faults.remove(sticky.id)).toBe(false);
    expect(faults.take("s")).toBeUndefined();
    expect(faults.clear()).toBe(1);
  });

  it("only fires on texts containing the match, in creation order", () => {
    const faults = createFaultRegistry();
    faults.add({ match: "tok-a", status: 429 });
    faults.add({ match: "tok", status: 500 });
    expect(faults.take("nothing here")).toBeUndefined();
    expect(faults.take("hi tok-a")).toMatchObject({ status: 429 });
    expect(faults.take("hi tok-a")).toMatchObject({ status: 500 });
    expect(faults.list()).toEqual([]);
  });

  it("fires a rule with `on` only in that step of the video task API", () => {
    const faults = createFaultRegistry();
    faults.add({ match: "v", on: "poll", status: 500, times: -1 });
    faults.add({ match: "v", video_ms: 10 });
    expect(faults.take("v")).toMatchObject({ video_ms: 10 });
    expect(faults.take("v", "create")).toBeUndefined();
    expect(faults.take("v", "poll")).toMatchObject({ on: "poll", status: 500 });
    expect(faults.take("v", "content")).toBeUndefined();
  });

  it("list and take return copies", () => {
    const faults = createFaultRegistry();
    faults.add({ status: 500, times: 3 });
    const listed = faults.list()[0];
    if (listed) listed.remaining = 99;
    expect(faults.list()[0]?.remaining).toBe(3);
  });
});

describe("FaultSpec", () => {
  it("rejects unknown keys and nonsense values", () => {
    expect(FaultSpec.safeParse({ statuss: 500 }).success).toBe(false);
    expect(FaultSpec.safeParse({ status: 200 }).success).toBe(false);
    expect(FaultSpec.safeParse({ times: 0 }).success).toBe(false);
    expect(FaultSpec.safeParse({ latency_ms: -1 }).success).toBe(false);
    expect(FaultSpec.safeParse({ times: -1, status: 500 }).success).toBe(true);
    expect(FaultSpec.safeParse({ on: "download" }).success).toBe(false);
    expect(FaultSpec.safeParse({ video_ms: -5 }).success).toBe(false);
    expect(FaultSpec.safeParse({ on: "content", video_ms: 0, video_fail: true }).success).toBe(true);
  });
});

describe("parseFaultHeader", () => {
  it("reads numbers, booleans, bare keys and strings", () => {
    expect(parseFaultHeader("status=500; retry_after=1.5")).toEqual({ status: 500, retry_after: 1.5 });
    expect(parseFaultHeader("hang")).toEqual({ hang: true });
    expect(parseFaultHeader("blank")).toEqual({ blank: true });
    expect(parseFaultHeader("empty=false;finish_reason=banana;")).toEqual({ empty: false, finish_reason: "banana" });
    expect(parseFaultHeader("match=t-1;truncate_after=2")).toEqual({ match: "t-1", truncate_after: 2 });
    expect(parseFaultHeader("on=poll;status=503;video_fail")).toEqual({ on: "poll", status: 503, video_fail: true });
  });

  it("throws on unknown keys and bad values", () => {
    expect(() => parseFaultHeader("sttus=500")).toThrow(/x-sim-fault/);
    expect(() => parseFaultHeader("status=abc")).toThrow(/status/);
  });
});
