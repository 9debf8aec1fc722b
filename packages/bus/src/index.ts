export { connectBus } from "./connect.js";
export type { BusConnection, ConnectOptions } from "./connect.js";
export {
  ensureStreams,
  ensureWorkerConsumer,
  ensureLedgerConsumer,
  ensureFilteredConsumer,
  streamsPresent,
  deleteNamespaceStreams,
  DEFAULT_ACK_WAIT_MS,
} from "./topology.js";
export type { StreamOptions, WorkerConsumerOptions, FilteredConsumerOptions } from "./topology.js";
export { publishJson, publishCore } from "./publish.js";
export { createPipelinedPublisher, MessageTooLargeError, StreamPublishError } from "./stream-publisher.js";
export type { PipelinedPublisher, StreamClient, StreamPublisher } from "./stream-publisher.js";
export type { PublishOptions } from "./publish.js";
export { findTerminalMessage, publishTerminal, queueWebhook, replyTerminal } from "./terminal.js";
export { startConsumeLoop, pullExpiresMs } from "./consume.js";
export type { ConsumeLoop, ConsumeLoopOptions } from "./consume.js";
export { injectTraceContext, extractTraceContext, captureTraceContext, restoreTraceContext } from "./trace-headers.js";
export { encodeJson, decodeJson } from "./codec.js";
export { createStatusStore, openStatusStore } from "./status-store.js";
export type { StatusStore, StoredRecord } from "./status-store.js";
export { createArtifactStore, openArtifactStore } from "./artifact-store.js";
export type { ArtifactStore, ArtifactInfo } from "./artifact-store.js";
export { createTaskStore, openTaskStore, UpstreamTask } from "./task-store.js";
export type { TaskStore } from "./task-store.js";
