import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { answerPrompt, countAnswerTokens, type Answer } from "./answer.js";
import type { Completion, DialectCall } from "./dialect.js";
import { FAULT_HEADER, parseFaultHeader } from "./fault-header.js";
import type { FaultRegistry, FaultSpec } from "./faults.js";
import type { Prompt } from "./prompt.js";
import type { RequestStats } from "./stats.js";
import { writeStream } from "./sse.js";
import { countPromptTokens } from "./tokens.js";

export interface CompletionDeps {
  faults: FaultRegistry;
  stats: RequestStats;
  /** SIM_LATENCY_MS, added before every inference response. */
  latencyMs: number;
  /** SIM_REQUIRE_KEY. */
  requireKey: string | undefined;
  /** Sockets held open by `hang` faults; the app destroys them when it closes. */
  hung: Set<Socket>;
}

const EMPTY_ANSWER: Answer = { kind: "text", text: "", finish: "stop" };

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
  const header = request.headers[FAULT_HEADER];
  if (typeof header === "string") {
    try {
      fault = parseFaultHeader(header);
    } catch (error) {
      return reply.code(400).send(call.errorBody(400, { message: (error as Error).message }));
    }
    if (fault.match !== undefined && !prompt.lastUserText.includes(fault.match)) fault = undefined;
  } else {
    fault = deps.faults.take(prompt.lastUserText);
  }

  const delay = deps.latencyMs + (fault?.latency_ms ?? 0);
  if (delay > 0) await sleep(delay);
  const headers: Record<string, string> =
    fault?.retry_after === undefined ? {} : { "retry-after": String(fault.retry_after) };

  if (fault?.drop || fault?.hang) {
    reply.hijack();
    const socket = request.raw.socket;
    if (fault.drop) {
      socket.destroy();
    } else if (!socket.destroyed) {
      deps.hung.add(socket);
      socket.once("close", () => deps.hung.delete(socket));
    }
    return reply;
  }
  if (fault?.status !== undefined) {
    const details = { message: fault.message ?? "simulated failure", type: fault.error_type, code: fault.error_code };
    return reply.code(fault.status).headers(headers).send(call.errorBody(fault.status, details));
  }

  const answer = fault?.empty ? EMPTY_ANSWER : answerPrompt(prompt);
  const completion: Completion = {
    answer,
    finishReasonOverride: fault?.finish_reason,
    promptTokens: countPromptTokens(prompt.messages),
    completionTokens: countAnswerTokens(answer),
  };

  if (call.renderStream) {
    const plan = call.renderStream(completion);
    reply.hijack();
    try {
      await writeStream(
        reply.raw,
        plan,
        {
          chunkDelayMs: fault?.chunk_delay_ms ?? 0,
          truncateAfter: fault?.truncate_after,
          errorAfter: fault?.error_after,
        },
        headers,
      );
    } catch {
      // Headers are gone already, so a broken connection is the only honest way to fail.
      reply.raw.destroy();
    }
    return reply;
  }

  const body = call.renderJson(completion);
  if (fault?.truncate_after !== undefined) {
    // A complete HTTP response whose JSON is cut short: never the whole body, so it never parses.
    const json = JSON.stringify(body);
    const cut = json.slice(0, Math.min(fault.truncate_after, json.length - 1));
    return reply.headers({ ...headers, "content-type": "application/json; charset=utf-8" }).send(cut);
  }
  return reply.headers(headers).send(body);
}

function isPrompt(value: Prompt | { invalid: string }): value is Prompt {
  return !("invalid" in value);
}
