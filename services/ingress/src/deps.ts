import type { ArtifactStore, BusConnection, StatusStore } from "@switchyard/bus";
import type { Catalog } from "@switchyard/catalog";
import type { Names } from "@switchyard/contracts";
import type { IngressConfig } from "./config.js";
import type { HostResolver } from "./webhooks/url-policy.js";

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** The part of the NATS connection the ingress uses; tests pass a real one. */
export type IngressBus = Pick<BusConnection, "nc" | "jsm" | "publisher" | "isConnected">;

export interface IngressDeps {
  readonly config: IngressConfig;
  readonly bus: IngressBus;
  readonly names: Names;
  readonly catalog: Pick<Catalog, "getModel" | "listModels">;
  readonly clock?: Clock;
  /** Tracked jobs' records (job API, Videos API); without it those routes are not served. */
  readonly statusStore?: StatusStore;
  /** Generated images and videos, and uploaded video references; required with `statusStore`. */
  readonly artifacts?: ArtifactStore;
  /** Resolves webhook hosts for the address check; defaults to the system resolver. */
  readonly resolveHost?: HostResolver;
  /** Called with errors the client only sees as a generic 500; defaults to stderr. */
  readonly reportError?: (error: unknown, requestId: string) => void;
}

export const systemClock: Clock = { now: () => Date.now() };
