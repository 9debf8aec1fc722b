import { ChatCompletion, FinishReason, UnusableOutputError } from "@switchyard/contracts";
import { UpstreamHttpError } from "./classify.js";

/** The finish reasons a client of the OpenAI API knows how to handle. */
export const KNOWN_FINISH_REASONS: readonly string[] = FinishReason.options;

function hasText(value: unknown): boolean {
  return typeof value === "string" && value.trim().length > 0;
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/**
 * Checks an upstream answer already mapped to the OpenAI shape before anyone sees it: at least
 * one choice, every choice with text, a refusal or tool calls, and a finish reason from the
 * known set. Anything else is an `UnusableOutputError`, which the worker treats as a reason to
 * retry or fall back (an empty answer from one route is often fine from the next).
 *
 * `httpStatus` is the upstream's status, kept with the mapped answer in the error's `cause`.
 *
 * @example
 * const completion = validateCompletion(fromOpenAIResponse(json, fallback), 200);
 */
export function validateCompletion(candidate: unknown, httpStatus = 200): ChatCompletion {
  const unusable = (message: string, cause?: unknown): UnusableOutputError =>
    new UnusableOutputError(message, {
      cause: new UpstreamHttpError(httpStatus, JSON.stringify(candidate) ?? "", { cause }),
    });
  const choices = (candidate as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) {
    throw unusable("upstream returned no choices");
  }
  for (const choice of choices as Array<Record<string, unknown> | null>) {
    const finish = choice?.finish_reason;
    if (typeof finish !== "string" || !KNOWN_FINISH_REASONS.includes(finish)) {
      throw unusable(`upstream returned an unknown finish_reason${describe(finish)}`);
    }
    const message = choice?.message as Record<string, unknown> | undefined;
    const usable =
      hasText(message?.content) ||
      hasText(message?.refusal) ||
      hasItems(message?.tool_calls) ||
      message?.function_call != null;
    if (!usable) throw unusable("upstream returned empty output");
  }
  const parsed = ChatCompletion.safeParse(candidate);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") ?? "";
    throw unusable(`upstream returned a malformed completion${where ? ` at ${where}` : ""}`, parsed.error);
  }
  return parsed.data;
}

/** Names the offending value in the message only when it is short and plain. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return ` (${String(value)})`;
  return typeof value === "string" && /^[A-Za-z0-9_.-]{1,40}$/.test(value) ? ` '${value}'` : "";
}
