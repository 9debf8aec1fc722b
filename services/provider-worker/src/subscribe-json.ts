import { decodeJson, type BusConnection } from "@switchyard/bus";
import type { z } from "zod";

export interface JsonSubscription {
  /** Stops listening; safe to call twice and after the connection closed. */
  close(): void;
}

/**
 * A core NATS subscription that hands each message to `onMessage` once it parses as `schema`,
 * and drops anything else: a stray or garbled control message must not end a job.
 */
export function subscribeJson<S extends z.ZodType>(
  nc: Pick<BusConnection["nc"], "subscribe">,
  subject: string,
  schema: S,
  onMessage: (value: z.infer<S>, subject: string) => void,
): JsonSubscription {
  const sub = nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error) return;
      let value: unknown;
      try {
        value = decodeJson(msg.data);
      } catch {
        return;
      }
      const parsed = schema.safeParse(value);
      if (parsed.success) onMessage(parsed.data, msg.subject);
    },
  });
  return {
    close: () => {
      try {
        if (!sub.isClosed()) sub.unsubscribe();
      } catch {
        // The connection is closed already (shutdown): the subscription went with it.
      }
    },
  };
}
