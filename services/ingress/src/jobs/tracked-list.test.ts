import { describe, expect, it } from "vitest";
import { createJobId } from "@switchyard/contracts";
import { compareIds, paginate, parseListQuery } from "./tracked-list.js";

describe("paginate", () => {
  const t0 = Date.UTC(2026, 0, 1);
  // Jobs and videos created alternately, a millisecond apart.
  const ids = Array.from({ length: 6 }, (_, i) => createJobId(i % 2 === 0 ? "job" : "video", t0 + i));
  const query = (q: Record<string, string> = {}) => parseListQuery(q);

  it("orders job and video ids together by creation time", () => {
    const shuffled = [ids[3]!, ids[0]!, ids[5]!, ids[1]!, ids[4]!, ids[2]!];
    expect(paginate(shuffled, query({ limit: "100" })).ids).toEqual([...ids].reverse());
    expect(paginate(shuffled, query({ order: "asc" })).ids).toEqual(ids);
    expect([...shuffled].sort(compareIds)).toEqual(ids);
  });

  it("pages after a cursor in either direction, whether or not the cursor still exists", () => {
    expect(paginate(ids, query({ limit: "2" }))).toEqual({ ids: [ids[5], ids[4]], hasMore: true });
    expect(paginate(ids, query({ limit: "2", after: ids[4]! }))).toEqual({ ids: [ids[3], ids[2]], hasMore: true });
    expect(paginate(ids, query({ limit: "2", after: ids[2]! }))).toEqual({ ids: [ids[1], ids[0]], hasMore: false });
    expect(paginate(ids, query({ order: "asc", limit: "3", after: ids[2]! }))).toEqual({
      ids: [ids[3], ids[4], ids[5]],
      hasMore: false,
    });
    const gone = ids.filter((_, i) => i !== 3);
    expect(paginate(gone, query({ limit: "2", after: ids[3]! })).ids).toEqual([ids[2], ids[1]]);
  });

  it("validates the query, naming the parameter", () => {
    expect(query()).toEqual({ limit: 20, order: "desc" });
    expect(() => query({ limit: "0" })).toThrow(expect.objectContaining({ param: "limit" }));
    expect(() => query({ after: "x.y" })).toThrow(expect.objectContaining({ param: "after" }));
    expect(() => query({ order: "sideways" })).toThrow(expect.objectContaining({ param: "order" }));
  });
});
