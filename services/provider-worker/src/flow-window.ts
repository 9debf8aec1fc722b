import type { Clock } from "./clock.js";

export type RoomResult = "room" | "stalled" | "aborted";

/**
 * Credit-based flow control for one streamed job. The ingress confirms (`FlowCredit`) each chunk
 * it has written to the client's socket; the worker keeps at most `size` chunks unconfirmed and,
 * while the window is full, stops pulling from the upstream. The upstream's TCP window then
 * fills and the upstream slows down: a slow reader costs the worker a bounded buffer, never an
 * unbounded one. No credit for `stallMs` while full means the reader is gone.
 *
 * @example
 * const window = new FlowWindow(64, 30_000, clock);
 * if (!window.hasRoom(sent)) await window.waitForRoom(sent, signal);
 */
export class FlowWindow {
  #credited = 0;
  #wake: (() => void) | null = null;

  constructor(
    private readonly size: number,
    private readonly stallMs: number,
    private readonly clock: Clock,
  ) {}

  /** The highest chunk sequence the reader has confirmed. */
  get credited(): number {
    return this.#credited;
  }

  /** Records a credit; credits may arrive out of order or twice, only the highest counts. */
  credit(seq: number): void {
    if (seq <= this.#credited) return;
    this.#credited = seq;
    this.#wake?.();
  }

  /** Whether another chunk may be published after the `sent` chunks already out. */
  hasRoom(sent: number): boolean {
    return sent - this.#credited < this.size;
  }

  /**
   * Waits until another chunk may go out. Each credit restarts the stall timer: only
   * `stallMs` without any credit counts as a reader that is gone.
   */
  async waitForRoom(sent: number, signal: AbortSignal): Promise<RoomResult> {
    while (!this.hasRoom(sent)) {
      if (signal.aborted) return "aborted";
      const timer = new AbortController();
      const credited = new Promise<boolean>((resolve) => (this.#wake = () => resolve(true)));
      const stalled = this.clock.sleep(this.stallMs, AbortSignal.any([timer.signal, signal])).then(() => false);
      const gotCredit = await Promise.race([credited, stalled]);
      this.#wake = null;
      timer.abort();
      if (!gotCredit) return signal.aborted ? "aborted" : "stalled";
    }
    return "room";
  }
}
