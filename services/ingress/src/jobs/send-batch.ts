/**
 * Runs the NATS sends of every request that arrived in one event-loop turn together, in one
 * `setImmediate` callback.
 *
 * nats.js flushes its outbound buffer in a microtask, and Node runs microtasks after each I/O
 * callback, so requests handled one by one each cost a socket write (and a wake-up of
 * nats-server). Queued here, the SUB and PUB commands of all requests parsed in the same poll
 * phase are written synchronously into the buffer and leave in a single write. At one connection
 * the cost is one loop turn (microseconds).
 */
export type SendBatch = <T>(send: () => T) => Promise<T>;

export function createSendBatch(): SendBatch {
  let queue: (() => void)[] = [];

  const drain = (): void => {
    const run = queue;
    queue = [];
    for (const task of run) task();
  };

  return <T>(send: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(drain);
      queue.push(() => {
        try {
          resolve(send());
        } catch (error) {
          reject(error);
        }
      });
    });
}
