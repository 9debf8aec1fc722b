import { z } from "zod";
import { ChoiceLogprobs } from "./openai/chat.js";

/**
 * One message on a streamed job's token subject (`Names.tokenSubject`), worker to ingress,
 * over core NATS: tokens need no durability, the final result does (it goes to EVENTS).
 * `seq` starts at 1 and has no gaps, so the ingress notices a lost message instead of passing
 * off a damaged answer. The ingress turns each into an OpenAI `chat.completion.chunk`.
 *
 * The optional fields are absent unless there is something to say, so a chunk of plain text costs
 * no more bytes than before: `logprobs` only when the client asked for them (the tokens of this
 * chunk's delta), `system_fingerprint` on the first chunk that has one and again only when it
 * changes (the upstream repeats it on every chunk; the ingress keeps it for the chunks after).
 */
export const TokenChunk = z.object({
  seq: z.number().int().positive(),
  delta: z.looseObject({
    role: z.literal("assistant").optional(),
    content: z.string().nullable().optional(),
    tool_calls: z.array(z.looseObject({})).optional(),
    refusal: z.string().nullable().optional(),
  }),
  finish_reason: z.string().nullable(),
  logprobs: ChoiceLogprobs.optional(),
  system_fingerprint: z.string().optional(),
});
export type TokenChunk = z.infer<typeof TokenChunk>;

/**
 * Credit the ingress grants on `Names.flowSubject`: it has written every chunk up to `seq` to
 * the client's socket. The worker keeps at most a window of chunks unconfirmed, and stops
 * reading the upstream while the window is full, so a slow reader never makes it buffer
 * without bound.
 */
export const FlowCredit = z.object({ seq: z.number().int().nonnegative() });
export type FlowCredit = z.infer<typeof FlowCredit>;

/**
 * Why a job was called off: `client`, POST /cancel (or a video's DELETE); `client_closed`, the
 * streaming client went away; `stream_broken`, the ingress lost part of the stream (a chunk
 * missing over NATS, or a redelivered job starting its stream again), told the client so with an
 * in-band error, and stopped the worker, which would otherwise stream to nobody.
 */
export const CancelReason = z.enum(["client", "client_closed", "stream_broken"]);
export type CancelReason = z.infer<typeof CancelReason>;

/** Asks the worker running a job to stop it (`Names.cancelSubject`). */
export const CancelRequest = z.object({ reason: CancelReason });
export type CancelRequest = z.infer<typeof CancelRequest>;
