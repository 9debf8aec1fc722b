import type { ServerResponse } from "node:http";

export interface ClientWatch {
  /** Aborts when the client goes away before the response has finished. */
  readonly signal: AbortSignal;
  /** Stops watching, before the sim itself cuts the connection (a fault, not the client's doing). */
  release(): void;
}

/**
 * Watches a response for a client that leaves early, so a paced stream stops at once instead of
 * writing into a dead socket, and tests can prove that a cancelled upstream call was cancelled.
 * A response that finished normally also emits "close", so only an unfinished one counts.
 */
export function watchClient(res: ServerResponse, onGone: () => void): ClientWatch {
  const controller = new AbortController();
  const onClose = (): void => {
    if (res.writableFinished) return;
    controller.abort();
    onGone();
  };
  res.once("close", onClose);
  return {
    signal: controller.signal,
    release: () => res.off("close", onClose),
  };
}
