import { describe, expect, it } from "vitest";
import { createJobId } from "@switchyard/contracts";
import { compareIds, idsAfter, parseListQuery } from "./tracked-list.js";

describe("idsAfter", () => {
  const t0 = Date.UTC(2026, 0, 1);
  // Jobs and videos created alternately, a millisecond apart.
  const ids = Array.from({ length: 6 }, (_, i) => createJobId(i % 2 === 0 ? "job" : "video", t0 + i));
  const query = (q: Record<string, string> = {}) => parseListQuery(q);

  it("orders job and video ids together by creation time", () => {
    const shuffled = [ids[3]!, ids[0]!, ids[5]!, ids[1]!, ids[4]!, ids[2]!];
    expect(idsAfter(shuffled, query())).toEqual([...ids].reverse());
    expect(idsAfter(shuffled, query({ order: "asc" }))).toEqual(ids);
    expect([...shuffled].sort(compareIds)).toEqual(ids);
  });

  it("starts after a cursor in either direction, whether or not the cursor still exists", () => {
    expect(idsAfter(ids, query({ after: ids[4]! }))).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    expect(idsAfter(ids, query({ after: ids[0]! }))).toEqual([]);
    expect(idsAfter(ids, query({ order: "asc", after: ids[2]! }))).toEqual([ids[3], ids[4], ids[5]]);
    const gone = ids.filter((_, i) => i !== 3);
    expect(idsAfter(gone, query({ after: ids[3]! }))).toEqual([ids[2], ids[1], ids[0]]);
  });

  it("validates the query, naming the parameter", () => {
    expect(query()).toEqual({ limit: 20, order: "desc" });
    expect(() => query({ limit: "0" })).toThrow(expect.objectContaining({ param: "limit" }));
    expect(() => query({ after: "x.y" })).toThrow(expect.objectContaining({ param: "after" }));
    expect(() => query({ order: "sideways" })).toThrow(expect.objectContaining({ param: "order" }));
  });
});
