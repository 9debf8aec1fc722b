import type { BusConnection, ConsumeLoopOptions } from "@switchyard/bus";

// The NATS types the ledger handles, named through @switchyard/bus, which owns the NATS client.
export type JetStreamClient = BusConnection["js"];
export type JsMsg = Parameters<ConsumeLoopOptions["handle"]>[0];
type Consumer = Awaited<ReturnType<JetStreamClient["consumers"]["get"]>>;
export type ConsumerMessages = Awaited<ReturnType<Consumer["consume"]>>;
