export { createSimApp } from "./app.js";
export type { SimAppOptions } from "./app.js";
export { loadConfig } from "./config.js";
export type { SimConfig } from "./config.js";
export { FaultSpec } from "./faults.js";
export type { FaultRule } from "./faults.js";
export { FAULT_HEADER, parseFaultHeader } from "./fault-header.js";
export type { StatsSnapshot } from "./stats.js";
