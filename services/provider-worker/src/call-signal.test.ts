import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { callSignal } from "./call-signal.js";

describe("callSignal", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("aborts with a TimeoutError at the time limit", async () => {
    const call = callSignal(100);
    await vi.advanceTimersByTimeAsync(99);
    expect(call.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.signal.aborted).toBe(true);
    // The adapters classify an abort by this name: a timeout is retryable, a cancellation is not.
    expect(call.signal.reason).toBeInstanceOf(Error);
    expect((call.signal.reason as Error).name).toBe("TimeoutError");
  });

  it("aborts with the cancellation's reason when the job is cancelled first", async () => {
    const job = new AbortController();
    const call = callSignal(100, job.signal);
    const reason = new Error("job cancelled (client)");
    job.abort(reason);
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBe(reason);
    await vi.advanceTimersByTimeAsync(200);
    expect(call.signal.reason).toBe(reason);
  });

  it("starts aborted when the job is cancelled already", () => {
    const job = new AbortController();
    job.abort(new Error("gone"));
    expect(callSignal(100, job.signal).signal.aborted).toBe(true);
  });

  it("after release, neither the time limit nor a cancellation aborts it", async () => {
    const job = new AbortController();
    const call = callSignal(100, job.signal);
    call.release();
    job.abort(new Error("late"));
    await vi.advanceTimersByTimeAsync(200);
    expect(call.signal.aborted).toBe(false);
  });
});
