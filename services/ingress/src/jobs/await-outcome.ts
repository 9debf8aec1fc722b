import { decodeJson, findTerminalMessage } from "@switchyard/bus";
import {
  BrokerError,
  JobCancelled,
  JobCompleted,
  JobFailed,
  ServiceUnavailableError,
  type Names,
  type TerminalEvent,
} from "@switchyard/contracts";
import type { IngressBus } from "../deps.js";
import { QUEUE_UNAVAILABLE } from "./submit.js";

/**
 * How a wait ends. Errors are values, not rejections: the promise exists before the caller awaits
 * it (it is created before the job is published), and a rejection nobody awaits yet would crash
 * the process.
 */
export type Outcome = TerminalEvent | "timeout" | "aborted" | BrokerError;

export interface OutcomeWatch {
  readonly outcome: Promise<Outcome>;
  /** Ends the wait with an outcome learned elsewhere (the EVENTS stream, the client leaving). */
  resolve(outcome: Outcome): void;
  /** Unsubscribes and clears the timer; safe to call again. */
  cancel(): void;
}

const TERMINAL_SCHEMAS = { completed: JobCompleted, failed: JobFailed, cancelled: JobCancelled } as const;

/** The terminal type a subject ends in (`events.<jobId>.completed`), if it is one. */
function terminalType(subject: string): keyof typeof TERMINAL_SCHEMAS | undefined {
  const type = subject.slice(subject.lastIndexOf(".") + 1);
  return type === "completed" || type === "failed" || type === "cancelled" ? type : undefined;
}

/** Decodes a terminal event from its subject's last token; anything unreadable is a 502. */
export function decodeTerminal(subject: string, data: Uint8Array, jobId: string): TerminalEvent | BrokerError {
  try {
    const type = terminalType(subject);
    const parsed = type === undefined ? undefined : TERMINAL_SCHEMAS[type].safeParse(decodeJson(data));
    if (parsed?.success && parsed.data.jobId === jobId) return parsed.data;
  } catch {
    // Not JSON: handled below like any other unreadable event.
  }
  return new BrokerError("The job finished, but its result could not be read.", { status: 502, code: "invalid_event" });
}

/**
 * Waits for the job's `completed`, `failed` or `cancelled` event on a core subscription to
 * `events.<jobId>.>`. Open it BEFORE publishing the job: a fast worker's answer published before
 * the subscription exists would be missed. Progress events (started, attempt) are skipped
 * without being decoded.
 */
export function watchOutcome(nc: IngressBus["nc"], names: Names, jobId: string, timeoutMs: number): OutcomeWatch {
  let settle!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
  let done = false;

  const sub = subscribe(nc, names.jobEventsFilter(jobId), (error, msg) => {
    if (error) return finish(new ServiceUnavailableError("Lost the job's event subscription.", { cause: error }));
    if (terminalType(msg.subject) !== undefined) finish(decodeTerminal(msg.subject, msg.data, jobId));
  });
  const timer = setTimeout(() => finish("timeout"), timeoutMs);
  // The connection closed under us (it drains only after the HTTP server stopped): stop at once.
  void sub.closed.then(() => {
    if (!done) finish(new ServiceUnavailableError("The connection to the job queue closed."));
  });

  function finish(result: Outcome): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (!sub.isClosed()) sub.unsubscribe();
    settle(result);
  }

  return { outcome, resolve: finish, cancel: () => finish("aborted") };
}

type Callback = NonNullable<Parameters<IngressBus["nc"]["subscribe"]>[1]>["callback"] & {};

/** A closed or draining connection refuses new subscriptions by throwing: that is a 503 too. */
function subscribe(
  nc: IngressBus["nc"],
  subject: string,
  callback: Callback,
): ReturnType<IngressBus["nc"]["subscribe"]> {
  try {
    return nc.subscribe(subject, { callback });
  } catch (cause) {
    throw new ServiceUnavailableError(QUEUE_UNAVAILABLE, { cause });
  }
}

/** The terminal event already stored in EVENTS for a job, if any; an unreachable store is a 503. */
export async function findStoredOutcome(
  jsm: IngressBus["jsm"],
  names: Names,
  jobId: string,
): Promise<TerminalEvent | BrokerError | undefined> {
  try {
    const stored = await findTerminalMessage(jsm, names, jobId);
    return stored ? decodeTerminal(stored.subject, stored.data, jobId) : undefined;
  } catch (cause) {
    throw new ServiceUnavailableError("The job store is unavailable. Please retry shortly.", { cause });
  }
}
