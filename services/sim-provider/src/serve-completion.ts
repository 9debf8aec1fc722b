import type { FastifyReply, FastifyRequest } from "fastify";
import { answerPrompt, countAnswerTokens, type Answer } from "./answer.js";
import { watchClient } from "./client-watch.js";
import type { Completion, DialectCall } from "./dialect.js";
import { applyFault, faultHeaders, pickFault, sendJson, type FaultEffectDeps } from "./fault-effects.js";
import type { FaultSpec } from "./faults.js";
import type { Prompt } from "./prompt.js";
import type { RequestStats } from "./stats.js";
import { writeStream } from "./sse.js";
import { countPromptTokens } from "./tokens.js";

export interface CompletionDeps extends FaultEffectDeps {
  stats: RequestStats;
  /** SIM_REQUIRE_KEY. */
  requireKey: string | undefined;
}

const EMPTY_ANSWER: Answer = { kind: "text", text: "", finish: "stop" };
// Real models do send this (a newline token, then the end): a client that counts it as the
// start of an answer has started a stream with nothing in it.
const BLANK_ANSWER: Answer = { kind: "text", text: "\n\n", finish: "stop" };

/**
 * The dialect-independent life of one inference request: count it, check the key, validate,
 * pick a fault, wait, then answer (or misbehave) through the dialect's renderers.
 */
export async function serveCompletion(
  deps: CompletionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  call: DialectCall,
): Promise<FastifyReply> {
  const parsed = call.prompt;
  // Counted before any check, so tests can see that a request reached the upstream at all.
  deps.stats.record(call.dialect, isPrompt(parsed) ? parsed.lastUserText : "");
  if (deps.requireKey !== undefined && call.apiKey !== deps.requireKey) {
    const { status, body } = call.authError(call.apiKey);
    return reply.code(status).send(body);
  }
  if (!isPrompt(parsed)) return reply.code(400).send(call.errorBody(400, { message: parsed.invalid }));
  const prompt = parsed;

  let fault: FaultSpec | undefined;
  try {
    fault = pickFault(deps.faults, request, prompt.lastUserText);
  } catch (error) {
    return reply.code(400).send(call.errorBody(400, { message: (error as Error).message }));
  }

  // Watched from before the latency, so a client that cancels while waiting counts as well.
  const watch = call.renderStream
    ? watchClient(reply.raw, () => deps.stats.recordAborted(prompt.lastUserText))
    : undefined;
  if (fault?.drop || fault?.hang) watch?.release();
  if (await applyFault(deps, request, reply, fault, call.errorBody)) return reply;

  const answer = fault?.empty ? EMPTY_ANSWER : fault?.blank ? BLANK_ANSWER : answerPrompt(prompt);
  const completion: Completion = {
    answer,
    finishReasonOverride: fault?.finish_reason,
    promptTokens: countPromptTokens(prompt.messages),
    completionTokens: countAnswerTokens(answer),
  };

  if (call.renderStream && watch) {
    reply.hijack();
    if (watch.signal.aborted) return reply;
    const plan = call.renderStream(completion);
    try {
      await writeStream(
        reply.raw,
        plan,
        {
          chunkDelayMs: fault?.chunk_delay_ms ?? 0,
          truncateAfter: fault?.truncate_after,
          errorAfter: fault?.error_after,
        },
        faultHeaders(fault),
        watch,
      );
    } catch {
      // Headers are gone already, so a broken connection is the only honest way to fail.
      watch.release();
      reply.raw.destroy();
    }
    return reply;
  }

  return sendJson(reply, call.renderJson(completion), fault);
}

function isPrompt(value: Prompt | { invalid: string }): value is Prompt {
  return !("invalid" in value);
}
