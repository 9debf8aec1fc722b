import { InvalidRequestError, type ChatCompletionRequest } from "@switchyard/contracts";
import { toAnthropicSchema } from "./output-schema.js";
import {
  assistantParts,
  assistantToolCalls,
  contentParts,
  contentText,
  functionTools,
  maxOutputTokens,
  stopSequences,
  toolChoice,
  type ContentPart,
} from "../base/content.js";

/** Anthropic requires `max_tokens`; OpenAI clients usually leave it out. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: "user" | "assistant";
  content: string | Block[];
}

function partToBlock(part: ContentPart): Block {
  if (part.type === "text") return { type: "text", text: part.text };
  return part.data
    ? { type: "image", source: { type: "base64", media_type: part.data.mediaType, data: part.data.base64 } }
    : { type: "image", source: { type: "url", url: part.url } };
}

function asBlocks(content: string | Block[]): Block[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/**
 * Translates an OpenAI chat request into an Anthropic Messages request:
 * - system and developer messages become the top-level `system` (Anthropic has no system role);
 * - tool results become `tool_result` blocks in a user turn, assistant tool calls `tool_use` blocks;
 * - consecutive turns of one role are merged, since tool results and the next user message
 *   would otherwise be two user turns in a row;
 * - `max_tokens` defaults to 4096, and `temperature` is clamped to Anthropic's 0..1;
 *   `top_p` is sent only without a `temperature`;
 * - `response_format` becomes `output_config.format` or a system instruction (see `outputFormat`).
 * Fields without an Anthropic equivalent are dropped: Anthropic rejects unknown fields.
 */
export function toAnthropicRequest(request: ChatCompletionRequest, upstreamModel: string): Record<string, unknown> {
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage["role"], content: string | Block[]): void => {
    // Anthropic rejects empty turns and empty text blocks.
    if (content.length === 0) return;
    const last = messages.at(-1);
    if (last && last.role === role) last.content = [...asBlocks(last.content), ...asBlocks(content)];
    else messages.push({ role, content });
  };

  request.messages.forEach((message, index) => {
    const param = `messages.${index}`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(contentText(message.content, param));
        break;
      case "user":
        push(
          "user",
          typeof message.content === "string" ? message.content : contentParts(message.content, param).map(partToBlock),
        );
        break;
      case "assistant": {
        const blocks = assistantParts(message, param).map(partToBlock);
        for (const call of assistantToolCalls(message, param)) {
          blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
        }
        push("assistant", blocks);
        break;
      }
      case "tool":
        push("user", [
          {
            type: "tool_result",
            tool_use_id: message.tool_call_id ?? "",
            content: contentText(message.content, param),
          },
        ]);
        break;
      case "function":
        throw new InvalidRequestError("function messages are not supported by this model's route; use tool messages", {
          param,
        });
    }
  });

  // OpenAI answers a prompt of system messages alone; Anthropic refuses a request without a
  // message, so such a prompt is the user's turn.
  if (messages.length === 0 && system.length > 0) push("user", system.splice(0).join("\n\n"));

  const format = outputFormat(request.response_format);
  if (format?.instruction) system.push(format.instruction);

  const body: Record<string, unknown> = {
    model: upstreamModel,
    max_tokens: maxOutputTokens(request) ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (format?.schema) body.output_config = { format: { type: "json_schema", schema: format.schema } };
  if (system.length > 0) body.system = system.join("\n\n");
  // Claude Opus 4.1, Sonnet 4.5 and later answer 400 to temperature and top_p together.
  if (typeof request.temperature === "number") body.temperature = Math.min(1, request.temperature);
  else if (typeof request.top_p === "number") body.top_p = request.top_p;
  const stop = stopSequences(request.stop);
  if (stop) body.stop_sequences = stop;
  const tools = functionTools(request.tools);
  if (tools) {
    body.tools = tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      input_schema: t.parameters ?? { type: "object", properties: {} },
    }));
  }
  const choice = anthropicToolChoice(request);
  if (choice) body.tool_choice = choice;
  if (typeof request.user === "string") body.metadata = { user_id: request.user };
  body.stream = false;
  return body;
}

/**
 * What JSON mode asks of the model, for a route that cannot enforce it with a schema. OpenAI's
 * JSON mode only promises syntactically valid JSON, and Claude wraps JSON in Markdown fences
 * unless told not to.
 */
export const JSON_MODE_INSTRUCTION =
  "Answer with one valid JSON object and nothing else: no prose before or after it, no Markdown code fences.";

/**
 * OpenAI `response_format` in Anthropic's terms. Anthropic's generally available structured
 * outputs take `output_config: { format: { type: "json_schema", schema } }` (no beta header; the
 * beta's top-level `output_format` and `anthropic-beta: structured-outputs-2025-11-13` are the
 * old form) and answer with the JSON as a text block, which maps to `message.content` unchanged.
 * - `json_schema` with a schema: that schema, rewritten to what Anthropic accepts (`toAnthropicSchema`);
 *   its `description`, which OpenAI shows the model, becomes the schema's own if it has none.
 * - `json_object`, and `json_schema` without a schema: an instruction in the system prompt. A
 *   schema cannot say "any object" here: Anthropic requires `additionalProperties: false` on
 *   every object, so `{type:"object"}` is refused and `{type:"object",additionalProperties:false}`
 *   allows only `{}`. Forcing a tool call instead would take over `tools` and `tool_choice`.
 * - `text`, null or absent: nothing.
 * Sources: Anthropic's structured-outputs guide
 * (https://platform.claude.com/docs/en/build-with-claude/structured-outputs: GA on Claude API for
 * Sonnet 4.5, Opus 4.5, Haiku 4.5 and later; "the output_format parameter has moved to
 * output_config.format"; JSON Schema limitations) and the official TypeScript SDK
 * (anthropics/anthropic-sdk-typescript examples/structured-outputs-zod.ts sends
 * `output_config: { format }` to `messages.parse`; src/lib/transform-json-schema.ts).
 */
function outputFormat(
  format: ChatCompletionRequest["response_format"],
): { schema?: unknown; instruction?: string } | undefined {
  if (format?.type === "json_object") return { instruction: JSON_MODE_INSTRUCTION };
  if (format?.type !== "json_schema") return undefined;
  const { schema, description } = format.json_schema;
  if (schema === undefined) return { instruction: JSON_MODE_INSTRUCTION };
  const described = description !== undefined && schema.description === undefined ? { ...schema, description } : schema;
  return { schema: toAnthropicSchema(described) };
}

function anthropicToolChoice(request: ChatCompletionRequest): Record<string, unknown> | undefined {
  const choice = toolChoice(request.tool_choice);
  const serial = request.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (!choice) return request.parallel_tool_calls === false && request.tools ? { type: "auto", ...serial } : undefined;
  switch (choice.mode) {
    case "auto":
      return { type: "auto", ...serial };
    case "required":
      return { type: "any", ...serial };
    case "none":
      return { type: "none" };
    case "function":
      return { type: "tool", name: choice.name, ...serial };
  }
}

/** The same request as `toAnthropicRequest`, streamed as server-sent events. */
export function toAnthropicStreamRequest(
  request: ChatCompletionRequest,
  upstreamModel: string,
): Record<string, unknown> {
  return { ...toAnthropicRequest(request, upstreamModel), stream: true };
}
