import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClientWatch } from "./client-watch.js";
import type { StreamPlan } from "./dialect.js";

/** A `data:` frame, the only kind OpenAI and Gemini send. */
export function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** A named frame, as Anthropic sends every event. */
export function eventFrame(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export interface StreamFaults {
  chunkDelayMs: number;
  /** Destroy the connection after this many content frames (capped at all of them). */
  truncateAfter: number | undefined;
  /** Send the plan's error frame after this many content frames and end the response there. */
  errorAfter: number | undefined;
}

/**
 * Writes a stream plan to a raw response. Without faults the whole stream goes out in one
 * write, which keeps the benchmark baseline cheap; with faults it is written frame by frame,
 * and stops as soon as the watched client goes away.
 */
export async function writeStream(
  res: ServerResponse,
  plan: StreamPlan,
  faults: StreamFaults,
  headers: Record<string, string>,
  watch: ClientWatch,
): Promise<void> {
  res.writeHead(200, { "content-type": plan.contentType, "cache-control": "no-cache", ...headers });
  const { chunkDelayMs, truncateAfter, errorAfter } = faults;
  if (chunkDelayMs === 0 && truncateAfter === undefined && errorAfter === undefined) {
    res.end(plan.head.join("") + plan.content.join("") + plan.tail.join(""));
    return;
  }

  // Headers first, so even a cut before any frame is a started response, not a refused one.
  res.flushHeaders();
  const gone = watch.signal;
  const stopAt = Math.min(truncateAfter ?? Infinity, errorAfter ?? Infinity, plan.content.length);
  const cut = truncateAfter !== undefined && (errorAfter === undefined || truncateAfter <= errorAfter);
  await write(res, plan.head.join(""));
  for (let i = 0; i < stopAt; i++) {
    await pause(chunkDelayMs, gone);
    if (gone.aborted || res.destroyed) return;
    await write(res, plan.content[i] ?? "");
  }
  if (truncateAfter !== undefined || errorAfter !== undefined) {
    if (gone.aborted || res.destroyed) return;
    // Destroying only after the frames were flushed, so the client really sees N chunks first.
    if (cut) {
      watch.release();
      res.destroy();
    } else {
      res.end(plan.error);
    }
    return;
  }
  await pause(chunkDelayMs, gone);
  if (!gone.aborted && !res.destroyed) res.end(plan.tail.join(""));
}

/** Waits, or less if the client leaves first. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Aborted: the client is gone and the caller checks for that.
  }
}

/** Resolves once the chunk is handed to the socket (or the socket is gone). */
function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  if (chunk === "") return Promise.resolve();
  return new Promise((resolve) => {
    // The write callback may never run if the client disconnects first, so "close" resolves too.
    const done = (): void => {
      res.off("close", done);
      resolve();
    };
    res.once("close", done);
    res.write(chunk, done);
  });
}
