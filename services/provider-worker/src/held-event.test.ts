import { describe, expect, it, vi } from "vitest";
import { holdEvent } from "./held-event.js";

describe("holdEvent", () => {
  it("sends once the hold runs out", async () => {
    vi.useFakeTimers();
    try {
      const send = vi.fn();
      holdEvent(send, 20);
      await vi.advanceTimersByTimeAsync(19);
      expect(send).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(send).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("sends at release, and never a second time", async () => {
    vi.useFakeTimers();
    try {
      const send = vi.fn();
      const held = holdEvent(send, 20);
      held.release();
      held.release();
      expect(send).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(50);
      expect(send).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("sends at once without a hold", () => {
    const send = vi.fn();
    holdEvent(send, 0).release();
    expect(send).toHaveBeenCalledTimes(1);
  });
});
