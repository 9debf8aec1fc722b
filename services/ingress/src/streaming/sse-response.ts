import type { OutgoingHttpHeaders } from "node:http";
import type { FastifyReply } from "fastify";

const KEEP_ALIVE_FRAME = ": keep-alive\n\n";

/**
 * The SSE side of a reply. Nothing is sent until `start()`, so an error found before the first
 * chunk is still an ordinary HTTP error from the error handler; after it, Fastify is out of the
 * way (hijacked) and frames go straight to the socket.
 */
export interface SseResponse {
  /** True once the status line and headers are out. */
  readonly started: boolean;
  /** True once the client is gone (the socket closed before the answer ended). */
  readonly gone: boolean;
  /** Sends 200 and the SSE headers (with every header already set on the reply, x-request-id included). */
  start(): void;
  /**
   * Writes a frame. False means the socket's buffer is full: wait for `drained()` before
   * writing again, and before telling the worker the frame is written.
   */
  write(frame: string): boolean;
  /** Resolves when the socket takes more, or the client is gone. */
  drained(): Promise<void>;
  /** Writes the last frame, if any, and ends the response. */
  end(frame?: string): void;
  /** Stops the keep-alive timer. */
  stop(): void;
}

/**
 * Wraps `reply` for streaming. While the stream is open but quiet (a model thinking, a tool
 * call being built) a comment line goes out every `keepAliveMs`, so proxies and clients with an
 * idle timeout do not cut it.
 */
export function createSseResponse(reply: FastifyReply, keepAliveMs: number): SseResponse {
  const raw = reply.raw;
  let started = false;
  let keepAlive: NodeJS.Timeout | undefined;
  const writable = (): boolean => !raw.destroyed && !raw.writableEnded;

  const response: SseResponse = {
    get started() {
      return started;
    },
    get gone() {
      return raw.destroyed && !raw.writableFinished;
    },
    start() {
      if (started) return;
      started = true;
      reply.hijack();
      const headers: OutgoingHttpHeaders = {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        // nginx and similar proxies buffer responses unless told not to.
        "x-accel-buffering": "no",
      };
      raw.writeHead(200, headers);
      raw.flushHeaders();
      keepAlive = setTimeout(function beat() {
        if (writable() && !raw.writableNeedDrain) raw.write(KEEP_ALIVE_FRAME);
        keepAlive = setTimeout(beat, keepAliveMs);
      }, keepAliveMs);
    },
    write(frame) {
      if (!writable()) return true;
      keepAlive?.refresh();
      return raw.write(frame);
    },
    drained: () =>
      new Promise<void>((resolve) => {
        if (!writable() || !raw.writableNeedDrain) return resolve();
        const done = (): void => {
          raw.off("drain", done);
          raw.off("close", done);
          resolve();
        };
        raw.on("drain", done);
        raw.on("close", done);
      }),
    end(frame) {
      response.stop();
      if (writable()) raw.end(frame);
    },
    stop() {
      clearTimeout(keepAlive);
      keepAlive = undefined;
    },
  };
  return response;
}
