import { afterEach, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Socket } from "node:net";
import { randomId } from "@switchyard/contracts";
import { connectCoalescing } from "./coalescing-transport.js";

// Against the real nats-server of the test run.
const NATS_URL = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const connections: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of connections.splice(0)) await nc.close();
});

/** The connection's socket (nats.js internals: a test may look, the code does not). */
function socketOf(nc: NatsConnection): Socket {
  return (nc as unknown as { protocol: { transport: { socket: Socket } } }).protocol.transport.socket;
}

/**
 * Counts the socket's writes to the kernel while ten callbacks of one turn publish a message
 * each. Immediates queued together run in one check phase, with microtasks (nats.js's flush)
 * between them, as the I/O callbacks of one poll phase do; timers would not do for this, as ten
 * of them may straddle a millisecond and fire in two turns.
 */
async function writesForTenCallbacks(nc: NatsConnection, subject: string): Promise<number> {
  await nc.flush();
  const socket = socketOf(nc) as Socket & { _write: Function; _writev: Function };
  let writes = 0;
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...args: unknown[]) => (writes++, write(...args));
  socket._writev = (...args: unknown[]) => (writes++, writev(...args));
  const callbacks = Array.from(
    { length: 10 },
    (_, i) => new Promise<void>((resolve) => setImmediate(() => (nc.publish(subject, `m${i}`), resolve()))),
  );
  await Promise.all(callbacks);
  await new Promise((resolve) => setImmediate(resolve));
  socket._write = write;
  socket._writev = writev;
  return writes;
}

describe("coalescing NATS transport", () => {
  it("sends what one event-loop turn publishes in one socket write, where nats.js alone writes each", async () => {
    const subject = `coalesce.${randomId(8)}`;
    const received: string[] = [];
    const reader = await connect({ servers: NATS_URL });
    connections.push(reader);
    reader.subscribe(subject, {
      callback: (_e, msg) => {
        received.push(msg.string());
      },
    });
    await reader.flush();
    const plain = await connect({ servers: NATS_URL });
    const coalescing = await connectCoalescing({ servers: NATS_URL });
    connections.push(plain, coalescing);

    expect(await writesForTenCallbacks(plain, subject)).toBe(10);
    expect(await writesForTenCallbacks(coalescing, subject)).toBe(1);

    await coalescing.flush();
    await expect.poll(() => received.length).toBe(20);
    expect(received.slice(10)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  });

  it("requests and replies work through it", async () => {
    const nc = await connectCoalescing({ servers: NATS_URL });
    connections.push(nc);
    const subject = `coalesce.echo.${randomId(8)}`;
    nc.subscribe(subject, {
      callback: (_e, msg) => {
        msg.respond(`echo ${msg.string()}`);
      },
    });
    const answers = await Promise.all([1, 2, 3].map((i) => nc.request(subject, `${i}`, { timeout: 2000 })));
    expect(answers.map((m) => m.string())).toEqual(["echo 1", "echo 2", "echo 3"]);
  });
});
