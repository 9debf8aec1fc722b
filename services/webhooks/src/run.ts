import {
  connectBus,
  ensureFilteredConsumer,
  ensureStreams,
  openStatusStore,
  startConsumeLoop,
  type BusConnection,
  type ConsumeLoop,
} from "@switchyard/bus";
import { TERMINAL_EVENT_TYPES, createNames, type Names } from "@switchyard/contracts";
import { DEV_TENANT, type WebhooksConfig } from "./config.js";
import { createDeliverer } from "./delivery.js";
import { createConsoleLogger, type Logger } from "./logger.js";
import { createWebhookConsumer } from "./webhook-consumer.js";

export interface RunOptions {
  logger?: Logger;
}

export interface RunningWebhooks {
  /** Settles when a consume loop ended by itself (its consumer was deleted): the process should exit. */
  readonly ended: Promise<void>;
  /** Stops pulling, lets in-flight attempts finish, then closes HTTP and NATS. */
  close(): Promise<void>;
}

/** Room for one attempt (its timeout) plus reading the status record and publishing the attempt. */
const ACK_WAIT_MARGIN_MS = 30_000;

/**
 * Starts the webhook dispatcher: one durable consumer on the `WEBHOOKS` work queue, where every
 * producer of a terminal event queues a copy when the job asked for a webhook, so jobs without
 * one cost the dispatcher nothing. Opens every connection the dispatcher uses; `main.ts` calls
 * it after starting telemetry.
 */
export async function run(config: WebhooksConfig, options: RunOptions = {}): Promise<RunningWebhooks> {
  const logger = options.logger ?? createConsoleLogger();
  const names = createNames(config.namespace);
  const bus = await connectBus({ servers: [...config.natsServers], name: "webhooks" });
  const deliverer = createDeliverer({ allowPrivate: config.allowPrivate, timeoutMs: config.timeoutMs });
  const loops: ConsumeLoop[] = [];
  try {
    await ensureStreams(bus.jsm, names);
    const statuses = await openStatusStore(bus, names);
    const consumer = createWebhookConsumer({
      js: bus.js,
      streams: bus.jsm.streams,
      names,
      statuses,
      secrets: config.secrets,
      deliverer,
      policy: config,
      logger,
    });
    await dropPerTypeConsumers(bus.jsm, names);
    const name = await ensureFilteredConsumer(
      bus.jsm,
      names.webhooksStream,
      names.webhooksConsumer,
      names.allWebhooksFilter,
      { ackWaitMs: config.timeoutMs + ACK_WAIT_MARGIN_MS },
    );
    const jsConsumer = await bus.js.consumers.get(names.webhooksStream, name);
    loops.push(
      await startConsumeLoop(jsConsumer, {
        concurrency: config.concurrency,
        ackWaitMs: config.timeoutMs + ACK_WAIT_MARGIN_MS,
        spanName: "deliver webhook",
        handle: (msg, span) => consumer.handle(msg, span),
        onError: (error, msg) =>
          logger.error(
            `handling ${msg.subject} failed, redelivering: ${error instanceof Error ? error.message : String(error)}`,
          ),
      }),
    );
  } catch (error) {
    await Promise.allSettled(loops.map((loop) => loop.stop()));
    await deliverer.close().catch(() => undefined);
    await bus.close();
    throw error;
  }

  if (config.devSecretActive) {
    console.log(`dev webhook secret (tenant ${DEV_TENANT}): ${config.secrets.get(DEV_TENANT) ?? ""}`);
  } else if (config.secrets.size === 0) {
    logger.warn("no SWITCHYARD_WEBHOOK_SECRETS configured: every job that asks for a webhook will give up");
  }
  console.log("webhooks ready");

  let closing: Promise<void> | undefined;
  return {
    ended: Promise.race(loops.map((loop) => loop.done)),
    close: () =>
      (closing ??= (async () => {
        await Promise.all(loops.map((loop) => loop.stop()));
        await deliverer.close();
        await bus.close();
      })()),
  };
}

/**
 * Dispatchers before the `WEBHOOKS` queue read every terminal event through one consumer per
 * type on `EVENTS`. Left in place, those consumers would hold every later event unacked.
 */
async function dropPerTypeConsumers(jsm: BusConnection["jsm"], names: Names): Promise<void> {
  for (const type of TERMINAL_EVENT_TYPES) {
    await jsm.consumers.delete(names.eventsStream, `webhooks-${type}`).catch(() => false);
  }
}
