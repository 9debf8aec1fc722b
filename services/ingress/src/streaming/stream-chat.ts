import type { FastifyReply } from "fastify";
import { BrokerError, toErrorBody, type ErrorBody, type JobCompleted, type JobSubmitted } from "@switchyard/contracts";
import { FailedJobError } from "../errors/failed-job-error.js";
import { findStoredOutcome, type Outcome } from "../jobs/await-outcome.js";
import { ofSameRequest } from "../jobs/idempotency.js";
import { isCompleted, outcomeError } from "../jobs/reply-outcome.js";
import {
  followEarlierJob,
  storedAtDeadline,
  watchAndPublish,
  type SyncJobContext,
  type WatchedJob,
} from "../jobs/run-sync.js";
import { assertConnected } from "../jobs/submit.js";
import { DONE_FRAME, createChunkStream, errorFrame, type ChunkStream } from "./chunks.js";
import { completionChunk, completionFinishReason, completionUsage } from "./completion-parts.js";
import { createJobSignals, type JobSignals } from "./job-signals.js";
import { createSseResponse, type SseResponse } from "./sse-response.js";
import { openTokenFeed, type TokenFeed } from "./token-feed.js";

export interface StreamJobContext extends SyncJobContext {
  /** Quiet time after which an open stream gets a keep-alive comment. */
  readonly keepAliveMs: number;
  /** For errors that happen after the headers are out (the client only sees a generic in-band error). */
  readonly report: (error: unknown, requestId: string) => void;
}

const INTERNAL: ErrorBody = {
  message: "The server had an error while processing your request.",
  type: "server_error",
  param: null,
  code: "internal_error",
};

function errorBody(error: BrokerError): ErrorBody {
  return error instanceof FailedJobError ? error.body : toErrorBody(error);
}

/** The job completed, but with fewer chunks than it says it sent: the tail was lost. */
function lostTail(expected: number, received: number): BrokerError {
  return new BrokerError(`The model's stream was interrupted (${received} of ${expected} chunks arrived).`, {
    status: 502,
    code: "stream_interrupted",
    type: "server_error",
  });
}

/**
 * `POST /v1/chat/completions` with `stream: true`: publishes a `chat` job with `stream: true`
 * and relays its token chunks to the client as OpenAI `chat.completion.chunk` events.
 *
 * - The token and event subscriptions open before the job is published (as `runJobSync`).
 * - No header is sent before the first chunk or the outcome, so a failure before the first
 *   token (after the worker's invisible retries) is a normal JSON error with its status.
 * - Each chunk written grants the worker flow credit; when the socket's buffer is full, credit
 *   waits for `drain`, so a slow reader stalls the worker's upstream read, not our memory.
 * - After the first chunk, a failure, a gap in the sequence or the deadline ends the stream with
 *   an in-band `{"error": ...}` event and no `[DONE]`: a truncated answer never ends cleanly.
 * - A client that leaves cancels the job (`CancelRequest {reason: "client_closed"}`).
 */
export async function streamChatJob(
  ctx: StreamJobContext,
  job: JobSubmitted,
  options: { includeUsage: boolean },
  reply: FastifyReply,
): Promise<void> {
  assertConnected(ctx.bus);
  const chunks = createChunkStream({
    jobId: job.id,
    createdAt: job.createdAt,
    model: job.model,
    includeUsage: options.includeUsage,
  });
  // A replayed job is the first request's: its stream had that job's `created` and model, not this retry's.
  const replayChunks = (event: JobCompleted): ChunkStream =>
    createChunkStream({
      jobId: job.id,
      createdAt: event.createdAt,
      model: event.model,
      includeUsage: options.includeUsage,
    });
  const sse = createSseResponse(reply, ctx.keepAliveMs);
  try {
    if (job.idempotencyKey !== undefined) {
      const stored = await findStoredOutcome(ctx.bus.jsm, ctx.names, job.id);
      if (stored) return replay(ofSameRequest(job, stored), replayChunks, sse, reply);
    }
    await relay(ctx, job, chunks, replayChunks, sse, reply);
  } catch (error) {
    if (!sse.started) throw error;
    // Past the headers nothing can be thrown to the error handler any more.
    if (!(error instanceof BrokerError)) ctx.report(error, job.id);
    sse.end(errorFrame(error instanceof BrokerError ? errorBody(error) : INTERNAL));
  } finally {
    sse.stop();
  }
}

async function relay(
  ctx: StreamJobContext,
  job: JobSubmitted,
  chunks: ChunkStream,
  replayChunks: (event: JobCompleted) => ChunkStream,
  sse: SseResponse,
  reply: FastifyReply,
): Promise<void> {
  // Listening from the start: a client that leaves while the job is being published still cancels it.
  let watched: WatchedJob<TokenFeed> | undefined;
  let gone = false;
  const onClose = (): void => {
    if (reply.raw.writableEnded) return;
    gone = true;
    watched?.opened.abort();
    watched?.watch.resolve("aborted");
  };
  reply.raw.once("close", onClose);
  try {
    watched = await watchAndPublish(ctx, job, () => openTokenFeed(ctx.bus.nc, ctx.names, job.id));
    const { watch, opened: feed, published } = watched;
    if (gone) onClose();
    const signals = createJobSignals(ctx.bus.nc, ctx.names, job.id);
    let jobEnded = false;
    try {
      const { duplicate, seq } = await published;
      if (duplicate) {
        // An earlier request with the same Idempotency-Key owns the job and its token stream (whose
        // start we missed): follow the outcome instead and tell the whole answer at the end.
        feed.close();
        await followEarlierJob(ctx, job, watch, seq);
        return replay(ofSameRequest(job, await watch.outcome), replayChunks, sse, reply);
      }
      void watch.outcome.then(async (told) => {
        // `complete` still checks that every chunk arrived of a job found completed this way.
        const outcome = await storedAtDeadline(ctx, job, told);
        jobEnded = outcome !== "aborted" && outcome !== "timeout";
        feed.end(outcome);
      });
      await pump(feed, chunks, sse, signals, reply, () => jobEnded);
    } finally {
      watch.cancel();
      feed.close();
    }
  } finally {
    reply.raw.off("close", onClose);
  }
}

async function pump(
  feed: TokenFeed,
  chunks: ChunkStream,
  sse: SseResponse,
  signals: JobSignals,
  reply: FastifyReply,
  jobEnded: () => boolean,
): Promise<void> {
  let finishReason: string | undefined;
  for (;;) {
    const item = await feed.next();
    if (item.type === "chunk") {
      const { chunk } = item;
      // The finish reason goes out on its own last chunk, once the job has really completed.
      if (chunk.finish_reason) finishReason = chunk.finish_reason;
      const frame = chunks.delta(chunk);
      if (frame !== undefined) {
        sse.start();
        if (!sse.write(frame)) await sse.drained();
      }
      signals.credit(chunk.seq);
      continue;
    }
    if (item.type === "broken") {
      // Nobody will read the rest: stop the worker (it would wait on credit until the deadline).
      // The client is told in-band; the ledger records why, not a client that left.
      signals.cancel("stream_broken");
      throw item.error;
    }
    const { outcome } = item;
    if (outcome === "aborted") {
      if (!jobEnded()) signals.cancel("client_closed");
      if (!sse.started) reply.hijack();
      return;
    }
    if (!isCompleted(outcome)) throw outcomeError(outcome);
    return complete(outcome, feed.lastSeq, finishReason, chunks, sse);
  }
}

/**
 * The end of a completed stream: the finish chunk, the usage chunk if asked for, `[DONE]`.
 * `received` is how many chunks were relayed; undefined tells the whole answer from the result.
 */
function complete(
  event: JobCompleted,
  received: number | undefined,
  finishReason: string | undefined,
  chunks: ChunkStream,
  sse: SseResponse,
): void {
  if (received !== undefined && event.chunks !== undefined && event.chunks !== received) {
    throw lostTail(event.chunks, received);
  }
  // Also a job that completed without streaming a token (a fallback route that does not stream).
  const whole = received === undefined || received === 0;
  const opening = whole ? (chunks.delta(completionChunk(event.result)) ?? "") : "";
  const finish = chunks.finish(finishReason ?? completionFinishReason(event.result));
  sse.start();
  sse.end(`${opening}${finish}${chunks.usage(completionUsage(event)) ?? ""}${DONE_FRAME}`);
}

/** A stream told from a finished job's outcome rather than its tokens. */
function replay(
  outcome: Outcome,
  chunksOf: (event: JobCompleted) => ChunkStream,
  sse: SseResponse,
  reply: FastifyReply,
): void {
  if (outcome === "aborted") {
    reply.hijack();
    return;
  }
  if (!isCompleted(outcome)) throw outcomeError(outcome);
  complete(outcome, undefined, undefined, chunksOf(outcome), sse);
}
