import { describe, expect, it } from "vitest";
import { JOB_ID_PATTERN } from "@switchyard/contracts";
import { idempotentJobId, readIdempotencyKey, requestFingerprint, type RequestParts } from "./idempotency.js";

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

  it("fingerprints what a request asked, whatever the order of its fields or how it is delivered", () => {
    const asked: RequestParts = {
      api: "sync",
      kind: "chat",
      model: "gpt-4o-mini",
      request: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], temperature: 0.2 },
    };
    const hash = requestFingerprint(asked);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const reordered = { temperature: 0.2, messages: [{ content: "hi", role: "user" }], model: "gpt-4o-mini" };
    expect(requestFingerprint({ ...asked, request: reordered })).toBe(hash);
    const streamed = { ...asked.request, stream: true, stream_options: { include_usage: true } };
    expect(requestFingerprint({ ...asked, request: streamed })).toBe(hash);

    const changes: Partial<RequestParts>[] = [
      { api: "tracked" },
      { kind: "image" },
      { model: "gpt-4o" },
      { request: { ...asked.request, temperature: 0.3 } },
      { request: { ...asked.request, messages: [{ role: "user", content: "hi!" }] } },
      { webhook: { url: "https://hooks.example.com/in" } },
      { metadata: { order: "42" } },
    ];
    for (const change of changes)
      expect(requestFingerprint({ ...asked, ...change }), JSON.stringify(change)).not.toBe(hash);
  });

  it("reads the header strictly", () => {
    expect(readIdempotencyKey(undefined)).toBeUndefined();
    expect(readIdempotencyKey(" abc ")).toBe("abc");
    expect(() => readIdempotencyKey("")).toThrow(/Idempotency-Key/);
    expect(() => readIdempotencyKey("x".repeat(256))).toThrow(/Idempotency-Key/);
    expect(() => readIdempotencyKey(["a", "b"])).toThrow(/at most one/);
  });
});
