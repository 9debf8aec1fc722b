import {
  BrokerError,
  ChatCompletionRequest,
  DeadlineExceededError,
  UnusableOutputError,
  UpstreamUnavailableError,
  normalizeUsage,
} from "@switchyard/contracts";
import { getUpstreamStatus, type ChatStreamEvent } from "@switchyard/providers";
import { untilAborted } from "../abort.js";
import {
  JobCancelledError,
  requireMethod,
  runAttempts,
  toBrokerError,
  type AttemptConfig,
  type AttemptDeps,
} from "../attempts.js";
import { attemptEvent, toClientCompletion } from "../events.js";
import { FlowWindow } from "../flow-window.js";
import { failed, type JobContext, type JobHandler, type Outcome } from "../job-context.js";
import { parseRequest } from "./parse-request.js";
import { StreamAssembly, carriesOutput } from "./stream-assembly.js";
import { ChunkWriter, type OpenTokenChannel, type TokenChannel } from "./token-channel.js";

export interface StreamConfig extends AttemptConfig {
  /** Chunks published and not yet confirmed by the ingress before the upstream is paused. */
  readonly streamWindow: number;
  /** No credit for this long while the window is full: the client is gone. */
  readonly streamStallMs: number;
}

export interface ChatStreamDeps extends AttemptDeps {
  config: StreamConfig;
  openTokenChannel: OpenTokenChannel;
}

/** An upstream stream that has produced the first piece of the answer (nothing is published yet). */
interface OpenedStream {
  iterator: AsyncIterator<ChatStreamEvent>;
  /** Everything read so far, ending with the first delta that carries output. */
  head: ChatStreamEvent[];
  /** The call's signal: the deadline and the job's cancellation. */
  signal: AbortSignal;
}

/**
 * A job that waited in the queue this long checks that its client is still there before it
 * calls the upstream: under a backlog, clients give up, and each abandoned stream would
 * otherwise cost an upstream call and hold a worker slot until the stall timeout. A job taken
 * sooner skips the check: its client is almost surely there, and checking alongside the call
 * cost 0.5–1.5 ms of time to first token (two wake-ups on the first token's path); a client
 * gone that fast is caught by the cancel it sends once the job runs, or by the stall timeout.
 */
const QUEUED_CHECK_FIRST_MS = 500;

const truncated = (): BrokerError =>
  new UpstreamUnavailableError("upstream stream ended before the answer finished", { code: "stream_truncated" });

/** Ends the upstream call if it is still open; never waits for a generator that is stuck. */
function release(iterator: AsyncIterator<ChatStreamEvent>): void {
  Promise.resolve(iterator.return?.()).catch(() => undefined);
}

/**
 * Reads until the first delta with output. Everything up to here is invisible to the client,
 * so a failure (an error status, a stream that breaks off, an empty or whitespace-only answer)
 * is an ordinary failed attempt: retried, or answered by the next route. Leading whitespace is
 * held in `head` with the rest and goes out, in order, just before the first output.
 */
async function openStream(events: AsyncIterable<ChatStreamEvent>, signal: AbortSignal): Promise<OpenedStream> {
  const iterator = events[Symbol.asyncIterator]();
  const head: ChatStreamEvent[] = [];
  try {
    for (;;) {
      const next = await untilAborted(iterator.next(), signal);
      if (next.done) throw truncated();
      head.push(next.value);
      if (next.value.type === "finish") throw new UnusableOutputError("upstream returned empty output");
      if (next.value.type === "delta" && carriesOutput(next.value.delta)) return { iterator, head, signal };
    }
  } catch (error) {
    release(iterator);
    throw error;
  }
}

/**
 * Streamed chat. Attempts are retried and fall back like synchronous chat until the first chunk
 * is published; after that the client has seen part of an answer, so a failure ends the job
 * (`stream_interrupted`, with the usage so far). Chunks go out on core NATS, at most a window
 * ahead of the ingress's credits; the terminal event follows the last chunk.
 */
export function createChatStreamHandler(deps: ChatStreamDeps): JobHandler {
  return async (ctx) => {
    const request = parseRequest(ChatCompletionRequest, ctx.job.request);
    if (!request.ok) return failed(request.error);
    const channel = deps.openTokenChannel(ctx.job.id);
    try {
      if (deps.clock.now() - ctx.job.createdAt >= QUEUED_CHECK_FIRST_MS && (await channel.receiverGone())) {
        ctx.cancel("client_closed");
        return failed(new JobCancelledError(), { streamEnd: "client_closed", chunks: 0 });
      }
      const window = new FlowWindow(deps.config.streamWindow, deps.config.streamStallMs, deps.clock);
      channel.onCredit((seq) => window.credit(seq));
      const opened = await runAttempts(
        {
          job: ctx.job,
          routes: ctx.model.routes,
          delivery: ctx.delivery,
          signal: ctx.signal,
          call: (adapter, route, signal) =>
            openStream(requireMethod(adapter, "chatStream", route)(request.data, { signal }), signal),
          httpStatus: () => null,
          callTimeoutMs: (_route, remainingMs) => remainingMs,
          deferSuccessEvent: true,
        },
        { ...deps, onAttempt: ctx.emit },
      );
      if (!opened.ok) {
        const facts = {
          route: opened.route?.id ?? null,
          attempts: opened.attempts,
          streamEnd: "error",
          chunks: 0,
        } as const;
        return failed(opened.error, facts);
      }
      return await relay(ctx, { ...opened, request: request.data }, channel, window, deps);
    } finally {
      channel.close();
    }
  };
}

interface RelayInput {
  result: OpenedStream;
  route: { id: string; upstreamModel: string };
  attempts: number;
  startedAt: number;
  request: ChatCompletionRequest;
}

/** Publishes the stream's chunks until it finishes, breaks off, or the job is cancelled. */
async function relay(
  ctx: JobContext,
  input: RelayInput,
  channel: TokenChannel,
  window: FlowWindow,
  deps: ChatStreamDeps,
): Promise<Outcome> {
  const { iterator, head, signal } = input.result;
  const writer = new ChunkWriter((chunk) => channel.publish(chunk));
  const answer = new StreamAssembly();
  let finish: Extract<ChatStreamEvent, { type: "finish" }> | null = null;
  let error: BrokerError | null = null;
  const take = (event: ChatStreamEvent): void => {
    answer.add(event);
    if (event.type === "delta") writer.write(event.delta, null, event);
    if (event.type === "finish") {
      finish = event;
      writer.write({}, event.finishReason);
    }
  };

  try {
    for (const event of head) take(event);
    while (finish === null) {
      if (!window.hasRoom(writer.seq)) {
        // Out with what is pending first: those are the chunks whose credit we wait for.
        writer.flush();
        // The call's signal: a cancel ends the wait, and so does the job's deadline.
        const room = await window.waitForRoom(writer.seq, signal);
        if (room === "stalled") ctx.cancel("client_closed");
        if (room !== "room") break;
      }
      const next = await untilAborted(iterator.next(), signal);
      if (next.done) throw truncated();
      take(next.value);
    }
  } catch (thrown) {
    error = toBrokerError(thrown);
  } finally {
    release(iterator);
  }
  writer.flush();

  const { job } = ctx;
  const usage = normalizeUsage(answer.usage(input.request));
  const facts = { route: input.route.id, attempts: input.attempts, usage, chunks: writer.seq };
  const record = (attemptError: BrokerError | null, httpStatus: number | null): void => {
    const latencyMs = Math.max(0, deps.clock.now() - input.startedAt);
    const attempt = { delivery: ctx.delivery, attempt: input.attempts, route: input.route, startedAt: input.startedAt };
    ctx.emit(
      attemptEvent(job, { ...attempt, latencyMs, httpStatus, error: attemptError, retryInMs: null }, deps.clock.now()),
    );
  };

  const finished = finish as Extract<ChatStreamEvent, { type: "finish" }> | null;
  if (finished && !error) {
    record(null, finished.httpStatus);
    const completion = toClientCompletion(job, answer.completion(finished.finishReason, input.request));
    const result = completion as unknown as Record<string, unknown>;
    return { type: "completed", ...facts, result, usage: completion.usage, streamEnd: "done" };
  }
  const reason = ctx.cancelReason();
  if (reason) {
    record(new BrokerError(`the job was cancelled (${reason})`, { status: 499, code: reason }), null);
    // A client that left closed the stream; a stream the ingress found broken ended in an error.
    return { type: "cancelled", reason, ...facts, streamEnd: reason === "stream_broken" ? "error" : "client_closed" };
  }
  const cause = error ?? truncated();
  record(cause, getUpstreamStatus(cause));
  // Only the deadline and a cancellation abort the call's signal, and this is no cancellation.
  const final =
    signal.aborted || deps.clock.now() >= job.deadlineAt
      ? new DeadlineExceededError()
      : new BrokerError(`the upstream stream broke off after ${writer.seq} chunks: ${cause.message}`, {
          status: 502,
          code: "stream_interrupted",
          cause,
        });
  return failed(final, { ...facts, streamEnd: "error" });
}
