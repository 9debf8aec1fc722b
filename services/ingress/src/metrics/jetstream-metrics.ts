import { Gauge, type Registry } from "prom-client";
import type { Names } from "@switchyard/contracts";
import type { IngressBus } from "../deps.js";

/** A scrape must answer even while NATS does not: JetStream's figures are skipped after this. */
const SCRAPE_TIMEOUT_MS = 2_000;

type StreamInfo = Awaited<ReturnType<IngressBus["jsm"]["streams"]["info"]>>;
type ConsumerInfo = Awaited<ReturnType<IngressBus["jsm"]["consumers"]["info"]>>;

interface Snapshot {
  streams: StreamInfo[];
  consumers: ConsumerInfo[];
}

/**
 * Read from JetStream at each scrape: whether NATS is connected, each stream's size, and for
 * every durable consumer (one per worker family, the ledger, the webhook sender) how many
 * messages wait for it, how many it holds unacknowledged and how many were redelivered. A
 * family's pending jobs is its queue; the ledger's pending events is how far its rows lag.
 * Series of consumers or streams that are gone disappear at the next scrape.
 */
export function registerJetStreamMetrics(registry: Registry, bus: IngressBus, names: Names): void {
  const streams = [names.jobsStream, names.eventsStream, names.webhooksStream];

  // One read serves every gauge of a scrape: the registry runs all collects at once.
  let current: Promise<Snapshot | null> | undefined;
  const snapshot = (): Promise<Snapshot | null> =>
    (current ??= readSnapshot(bus, streams).finally(() => setImmediate(() => (current = undefined))));

  new Gauge({
    name: "switchyard_nats_connected",
    help: "1 while the ingress's NATS connection is up.",
    registers: [registry],
    collect() {
      this.set(bus.isConnected() ? 1 : 0);
    },
  });

  const perStream = (name: string, help: string, value: (info: StreamInfo) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["stream"] as const,
      registers: [registry],
      async collect() {
        const read = await snapshot();
        // Dropped first, so a stream that is gone leaves no stale series.
        this.reset();
        for (const info of read?.streams ?? []) this.set({ stream: info.config.name }, value(info));
      },
    });
  };
  const perConsumer = (name: string, help: string, value: (info: ConsumerInfo) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["stream", "consumer"] as const,
      registers: [registry],
      async collect() {
        const read = await snapshot();
        this.reset();
        for (const info of read?.consumers ?? []) {
          this.set({ stream: info.stream_name, consumer: info.name }, value(info));
        }
      },
    });
  };

  perStream("switchyard_stream_messages", "Messages stored in the JetStream stream.", (info) => info.state.messages);
  perStream("switchyard_stream_bytes", "Bytes stored in the JetStream stream.", (info) => info.state.bytes);
  perConsumer(
    "switchyard_consumer_pending_messages",
    "Messages in the stream not yet delivered to the consumer (for a worker family: its queued jobs).",
    (info) => info.num_pending,
  );
  perConsumer(
    "switchyard_consumer_ack_pending_messages",
    "Messages delivered to the consumer and not yet acknowledged (for a worker family: jobs running).",
    (info) => info.num_ack_pending,
  );
  perConsumer(
    "switchyard_consumer_redelivered_messages",
    "Messages the consumer holds that were delivered more than once.",
    (info) => info.num_redelivered,
  );
}

async function readSnapshot(bus: IngressBus, streams: readonly string[]): Promise<Snapshot | null> {
  if (!bus.isConnected()) return null;
  const read = (async (): Promise<Snapshot> => {
    const found: Snapshot = { streams: [], consumers: [] };
    for (const name of streams) {
      try {
        found.streams.push(await bus.jsm.streams.info(name));
        for await (const consumer of bus.jsm.consumers.list(name)) found.consumers.push(consumer);
      } catch {
        // A stream that does not exist (yet) has nothing to report.
      }
    }
    return found;
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), SCRAPE_TIMEOUT_MS)));
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
