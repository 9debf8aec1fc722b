import type { BusConnection, ConsumeLoopOptions } from "@switchyard/bus";

// The NATS types the dispatcher handles, named through @switchyard/bus, which owns the NATS client.
export type JetStreamClient = BusConnection["js"];
export type JetStreamManager = BusConnection["jsm"];
export type JsMsg = Parameters<ConsumeLoopOptions["handle"]>[0];
