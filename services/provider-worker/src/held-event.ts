export interface HeldEvent {
  /** Sends the event now if it has not gone yet. */
  release(): void;
}

/**
 * Sends an event after `holdMs`, or as soon as `release()` is called, exactly once either way.
 *
 * A job's `started` event is held so that a job ending within the hold sends `started`,
 * `attempt` and its final event in one socket write. Sent at once, it wakes nats-server and the
 * ledger while the upstream call is in flight, and on two cores their work delays that call's
 * answer. A job that runs longer still reports `started` within `holdMs`.
 *
 * @example
 * const started = holdEvent(() => publish(startedEvent(job, delivery, workerId, now)), 20);
 * // ... before any later event of the job, and when the handler returns:
 * started.release();
 */
export function holdEvent(send: () => void, holdMs: number): HeldEvent {
  if (holdMs <= 0) {
    send();
    return { release: () => undefined };
  }
  let sent = false;
  const release = (): void => {
    if (sent) return;
    sent = true;
    clearTimeout(timer);
    send();
  };
  const timer = setTimeout(release, holdMs);
  return { release };
}
