import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { connectCoalescing } from "./coalescing-transport.js";
import { createPipelinedPublisher, type StreamClient } from "./stream-publisher.js";

export interface BusConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Publishes to streams and awaits their acks (and sends direct gets), for a fraction of nats.js's CPU. */
  readonly publisher: StreamClient;
  /** False while the client is disconnected and reconnecting; the ingress answers 503 then. */
  isConnected(): boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  servers: string | string[];
  /** Shown in the server's connection list, e.g. `ingress` or `worker-openai`. */
  name: string;
  /** How long a JetStream publish waits for its ack before failing. */
  publishTimeoutMs?: number;
  /**
   * nats.js builds an Error per request (two with a timeout) only to give failures the caller's
   * stack; at thousands of publishes a second that is 5-8% of a worker's CPU. Our callers map
   * every publish failure to a typed error anyway, so the stacks are off unless asked for.
   */
  asyncTraces?: boolean;
}

/**
 * Connects to NATS with endless reconnects: a restarted server must not end a service, it
 * only pauses it. JetStream publishes fail while disconnected, which callers map to 503.
 *
 * @example
 * const bus = await connectBus({ servers: "nats://127.0.0.1:4222", name: "ingress" });
 */
export async function connectBus(options: ConnectOptions): Promise<BusConnection> {
  const nc = await connectCoalescing({
    servers: options.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
    noAsyncTraces: !(options.asyncTraces ?? false),
  });
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") connected = false;
      else if (status.type === "reconnect") connected = true;
    }
  })();
  const timeout = options.publishTimeoutMs ?? 5000;
  const js = jetstream(nc, { timeout });
  const jsm = await jetstreamManager(nc, { timeout });
  const publisher = createPipelinedPublisher(nc, { timeoutMs: timeout });
  return {
    nc,
    js,
    jsm,
    publisher,
    isConnected: () => connected && !nc.isClosed(),
    close: async () => {
      if (!nc.isClosed()) await nc.drain();
      publisher.close();
    },
  };
}
