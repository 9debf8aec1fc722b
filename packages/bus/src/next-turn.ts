let pending: Promise<void> | undefined;

/**
 * Resolves in the next `setImmediate` turn, together with every other caller of this turn.
 *
 * nats.js writes its outbound buffer to the socket in a microtask after each command, so
 * publishes made from separate I/O callbacks (one per finished upstream call, say) each cost a
 * socket write and a wake-up of nats-server. Awaiting this first lets all the publishes and
 * acks of one event-loop turn leave in a single write; when idle it costs microseconds.
 *
 * @example
 * await nextTurn();
 * msg.ack();
 */
export function nextTurn(): Promise<void> {
  pending ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      pending = undefined;
      resolve();
    }),
  );
  return pending;
}
