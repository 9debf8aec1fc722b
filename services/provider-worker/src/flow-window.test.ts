import { describe, expect, it } from "vitest";
import { FlowWindow } from "./flow-window.js";
import { createManualClock, settle } from "./test-support/manual-clock.js";

describe("FlowWindow", () => {
  it("has room until `size` chunks are unconfirmed", () => {
    const window = new FlowWindow(4, 1000, createManualClock());
    expect(window.hasRoom(3)).toBe(true);
    expect(window.hasRoom(4)).toBe(false);
    window.credit(2);
    expect(window.hasRoom(5)).toBe(true);
    expect(window.hasRoom(6)).toBe(false);
  });

  it("counts only the highest credit: late or repeated credits change nothing", () => {
    const window = new FlowWindow(2, 1000, createManualClock());
    window.credit(5);
    window.credit(3);
    window.credit(5);
    expect(window.credited).toBe(5);
  });

  it("waits for credit, and every credit restarts the stall timer", async () => {
    const clock = createManualClock();
    const window = new FlowWindow(2, 1000, clock);
    let result: string | undefined;
    void window.waitForRoom(4, new AbortController().signal).then((r) => (result = r));
    await clock.advance(900);
    window.credit(1);
    await settle();
    expect(result).toBeUndefined();
    await clock.advance(900);
    expect(result).toBeUndefined();
    window.credit(3);
    await settle();
    expect(result).toBe("room");
    expect(clock.pending).toBe(0);
  });

  it("reports a stall after stallMs without any credit", async () => {
    const clock = createManualClock();
    const window = new FlowWindow(1, 1000, clock);
    let result: string | undefined;
    void window.waitForRoom(1, new AbortController().signal).then((r) => (result = r));
    await clock.advance(999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    expect(result).toBe("stalled");
  });

  it("stops waiting when the job is cancelled", async () => {
    const clock = createManualClock();
    const window = new FlowWindow(1, 1000, clock);
    const cancel = new AbortController();
    const waiting = window.waitForRoom(1, cancel.signal);
    cancel.abort();
    expect(await waiting).toBe("aborted");
    expect(clock.pending).toBe(0);
  });
});
