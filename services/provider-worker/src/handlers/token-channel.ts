import { setTimeout as sleep } from "node:timers/promises";
import { encodeJson, type BusConnection } from "@switchyard/bus";
import { FlowCredit, type Names, type TokenChunk } from "@switchyard/contracts";
import { subscribeJson } from "../subscribe-json.js";

/** Where a streamed job's chunks go and its credits come from: core NATS in production. */
export interface TokenChannel {
  publish(chunk: TokenChunk): void;
  /** Receives each `FlowCredit` the ingress sends. */
  onCredit(listener: (seq: number) => void): void;
  /**
   * True when nobody reads the chunks any more: the client left while the job was queued (the
   * ingress dropped the subscription with it) or its ingress is gone. False when someone
   * answers, and when it cannot be told (a timeout): only certainty cancels a job.
   */
  receiverGone(): Promise<boolean>;
  close(): void;
}

export type OpenTokenChannel = (jobId: string) => TokenChannel;

/** A probe that gets no answer in this time tells nothing (a busy or reconnecting ingress). */
const PROBE_TIMEOUT_MS = 2_000;
/**
 * On a cluster, the other servers learn of a new subscription a moment after it is made: "no
 * responders" counts only when a second probe this much later says it too.
 */
const PROBE_RECHECK_MS = 250;
const EMPTY = new Uint8Array(0);

/**
 * Chunks on `tokenSubject`, credits from `flowSubject`. Plain core publishes without trace
 * headers: a header per token would double the bytes of a chunk, and the job's trace is carried
 * by its events. The credit subscription is made here, before the first chunk goes out. A
 * request on `tokenSubject` is a liveness probe: the ingress answers it while it still reads
 * the job's chunks, and NATS answers "no responders" once nobody does.
 */
export function natsTokenChannels(
  nc: Pick<BusConnection["nc"], "subscribe" | "publish" | "request">,
  names: Names,
): OpenTokenChannel {
  return (jobId) => {
    const subject = names.tokenSubject(jobId);
    let listener: (seq: number) => void = () => undefined;
    let closed = false;
    const credits = subscribeJson(nc, names.flowSubject(jobId), FlowCredit, (credit) => listener(credit.seq));
    return {
      publish: (chunk) => nc.publish(subject, encodeJson(chunk)),
      onCredit: (l) => {
        listener = l;
      },
      receiverGone: async () => {
        for (let probe = 0; probe < 2; probe++) {
          if (probe > 0) await sleep(PROBE_RECHECK_MS);
          if (closed) return false;
          try {
            await nc.request(subject, EMPTY, { timeout: PROBE_TIMEOUT_MS });
            return false;
          } catch (error) {
            if (!isNoResponders(error)) return false;
          }
        }
        return !closed;
      },
      close: () => {
        closed = true;
        credits.close();
      },
    };
  };
}

function isNoResponders(error: unknown): boolean {
  return (error as { isNoResponders?: () => boolean } | null)?.isNoResponders?.() === true;
}

type Delta = TokenChunk["delta"];
type Logprobs = NonNullable<TokenChunk["logprobs"]>;

/** The scored tokens of two merged deltas, in order: each chunk's logprobs spell its content. */
function concatLogprobs(a: Logprobs, b: Logprobs): Logprobs {
  const join = (x: Logprobs["content"], y: Logprobs["content"]) => (x || y ? [...(x ?? []), ...(y ?? [])] : x);
  return Object.assign({}, a, { content: join(a.content, b.content), refusal: join(a.refusal, b.refusal) });
}

/** Plain text with nothing else: the only deltas two of which can become one chunk. */
function isTextOnly(delta: Delta): delta is { content: string } {
  return typeof delta.content === "string" && Object.keys(delta).every((key) => key === "content");
}

/**
 * A merged chunk stops growing here. An upstream that always has data buffered would otherwise
 * keep one turn going (each `next()` resolves in a microtask) and grow one chunk without end.
 */
const MAX_MERGED_CHARS = 1024;

/** What may come with a delta besides its text (see `TokenChunk`). */
export interface ChunkExtras {
  logprobs?: Logprobs | undefined;
  systemFingerprint?: string | undefined;
}

/**
 * Numbers chunks from 1 and publishes them in order. Text deltas that arrive within one
 * event-loop turn (several SSE events in one socket read) go out as one chunk: fewer NATS
 * messages, the same text, the same order; their logprobs, if any, are joined the same way. The
 * pending chunk leaves at the end of the turn, or earlier when a delta that cannot join it arrives
 * (one with a new fingerprint starts its own chunk, which says so).
 */
export class ChunkWriter {
  #seq = 0;
  #pending: TokenChunk | null = null;
  #scheduled = false;
  #failure: unknown = null;

  constructor(private readonly publish: (chunk: TokenChunk) => void) {}

  /** The sequence number of the last chunk written (published or about to be). */
  get seq(): number {
    return this.#seq;
  }

  write(delta: Delta, finishReason: string | null = null, extras?: ChunkExtras): void {
    this.#rethrow();
    const pending = this.#pending;
    const logprobs = extras?.logprobs;
    const fingerprint = extras?.systemFingerprint;
    if (
      pending &&
      finishReason === null &&
      pending.finish_reason === null &&
      isTextOnly(delta) &&
      fingerprint === undefined &&
      (logprobs === undefined) === (pending.logprobs === undefined) &&
      pending.delta.tool_calls === undefined &&
      pending.delta.refusal == null &&
      pending.delta.content !== null &&
      (pending.delta.content?.length ?? 0) < MAX_MERGED_CHARS
    ) {
      pending.delta.content = (pending.delta.content ?? "") + delta.content;
      if (logprobs && pending.logprobs) pending.logprobs = concatLogprobs(pending.logprobs, logprobs);
      return;
    }
    this.flush();
    const chunk: TokenChunk = { seq: ++this.#seq, delta: { ...delta }, finish_reason: finishReason };
    // Set only when present: a chunk of plain text stays as small as it was.
    if (logprobs) chunk.logprobs = logprobs;
    if (fingerprint !== undefined) chunk.system_fingerprint = fingerprint;
    this.#pending = chunk;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        try {
          this.flush();
        } catch (error) {
          // No caller to throw to in a timer; the stream loop gets it on its next write or flush.
          this.#failure = error;
        }
      });
    }
  }

  /** Publishes the pending chunk now: before waiting for credit, and before the terminal event. */
  flush(): void {
    this.#rethrow();
    const chunk = this.#pending;
    if (!chunk) return;
    this.#pending = null;
    this.publish(chunk);
  }

  #rethrow(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}
