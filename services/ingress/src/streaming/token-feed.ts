import { decodeJson } from "@switchyard/bus";
import { BrokerError, ServiceUnavailableError, TokenChunk, type Names } from "@switchyard/contracts";
import type { IngressBus } from "../deps.js";
import type { Outcome } from "../jobs/await-outcome.js";
import { QUEUE_UNAVAILABLE } from "../jobs/submit.js";

/** Chunks the worker sends beyond the last credit (provider-worker's window). */
export const FLOW_WINDOW = 64;
/** A worker that ignores the window would make this queue grow without bound; it is cut off instead. */
const MAX_QUEUED = 4 * FLOW_WINDOW;

export type FeedItem =
  | { type: "chunk"; chunk: TokenChunk }
  /** The job's terminal outcome (or the wait's end): after every chunk the worker sent before it. */
  | { type: "end"; outcome: Outcome }
  /** The token sequence cannot be trusted (a gap, an unreadable or excess chunk): nothing after it is used. */
  | { type: "broken"; error: BrokerError };

/**
 * A streamed job's token subject as an ordered queue, with the job's end appended. The worker
 * publishes every token before its terminal event on one connection, and this process reads
 * both on one connection, so a chunk missing when the end arrives is a chunk that was lost.
 */
export interface TokenFeed {
  /** The next item; after an `end` or `broken` item, nothing follows. */
  next(): Promise<FeedItem>;
  /** Appends the job's end after whatever chunks arrived before it. */
  end(outcome: Outcome): void;
  /** Drops what is queued and ends the feed now (the client left). */
  abort(): void;
  /** Unsubscribes; chunks arriving later are dropped. Safe to call again. */
  close(): void;
  /** Highest seq received. */
  readonly lastSeq: number;
}

function interrupted(message: string, code: string): BrokerError {
  return new BrokerError(message, { status: 502, code, type: "server_error" });
}

/**
 * Opens the token subscription; open it before publishing the job, as the event watch. While
 * it is open it answers the worker's liveness probes; closing it (the client left) is how a
 * worker that takes the job later learns not to call the upstream.
 */
export function openTokenFeed(nc: IngressBus["nc"], names: Names, jobId: string): TokenFeed {
  const queue: FeedItem[] = [];
  let wake: ((item: FeedItem) => void) | undefined;
  let finished = false;
  let lastSeq = 0;

  const push = (item: FeedItem): void => {
    if (finished) return;
    if (item.type !== "chunk") finished = true;
    if (wake) {
      const resolve = wake;
      wake = undefined;
      resolve(item);
    } else queue.push(item);
  };

  const onToken = (data: Uint8Array): void => {
    let parsed;
    try {
      parsed = TokenChunk.safeParse(decodeJson(data));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success)
      return push({ type: "broken", error: interrupted("The model's stream could not be read.", "invalid_chunk") });
    const chunk = parsed.data;
    if (chunk.seq !== lastSeq + 1) {
      return push({
        type: "broken",
        error: interrupted(
          `The model's stream was interrupted (chunk ${lastSeq + 1} is missing).`,
          "stream_interrupted",
        ),
      });
    }
    if (queue.length >= MAX_QUEUED) {
      return push({ type: "broken", error: interrupted("The model's stream overran its window.", "stream_overflow") });
    }
    lastSeq = chunk.seq;
    push({ type: "chunk", chunk });
  };

  let sub: ReturnType<IngressBus["nc"]["subscribe"]>;
  try {
    sub = nc.subscribe(names.tokenSubject(jobId), {
      callback: (error, msg) => {
        if (error) push({ type: "broken", error: new ServiceUnavailableError("Lost the job's token subscription.") });
        // The worker's probe (a request; chunks never have a reply subject): still reading.
        else if (msg.reply) msg.respond();
        else onToken(msg.data);
      },
    });
  } catch (cause) {
    throw new ServiceUnavailableError(QUEUE_UNAVAILABLE, { cause });
  }

  const close = (): void => {
    if (!sub.isClosed()) sub.unsubscribe();
  };

  return {
    next: () => {
      const item = queue.shift();
      return item ? Promise.resolve(item) : new Promise((resolve) => (wake = resolve));
    },
    end: (outcome) => push({ type: "end", outcome }),
    abort: () => {
      // Replaces anything queued, a pending end included: the pump must stop at once.
      queue.length = 0;
      finished = false;
      push({ type: "end", outcome: "aborted" });
      close();
    },
    close,
    get lastSeq() {
      return lastSeq;
    },
  };
}
