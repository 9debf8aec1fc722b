import { InvalidRequestError, type ChatMessage } from "@switchyard/contracts";

/** One OpenAI content part, as dialects other than OpenAI's have to translate it. */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; url: string; data: { mediaType: string; base64: string } | undefined };

/**
 * The parts of an OpenAI message `content` (a string or an array of parts). Text, refusal and
 * image parts translate to every dialect; other kinds (audio, files) are refused with a 400 naming
 * the part, rather than dropped, so a client never gets an answer to half its prompt.
 */
export function contentParts(content: ChatMessage["content"], param: string): ContentPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return content.map((part, index): ContentPart => {
    if (part.type === "text" && typeof part.text === "string") return { type: "text", text: part.text };
    // An assistant turn that refused carries its words in a `refusal` part; other dialects have
    // no such part, and the refusal is what the assistant said.
    const refusal = (part as { refusal?: unknown }).refusal;
    if (part.type === "refusal" && typeof refusal === "string") return { type: "text", text: refusal };
    if (part.type === "image_url") {
      const imageUrl = (part as { image_url?: unknown }).image_url;
      const url = typeof imageUrl === "string" ? imageUrl : (imageUrl as { url?: unknown } | undefined)?.url;
      if (typeof url === "string") return { type: "image", url, data: parseDataUrl(url) };
    }
    throw new InvalidRequestError(`content part type '${part.type}' is not supported by this model's route`, {
      param: `${param}.content.${index}`,
    });
  });
}

/**
 * The parts of an assistant message: its content, or, for a turn that refused with no content,
 * the message's `refusal` string (what the assistant said; other dialects have no refusal
 * field, and dropping it would leave an empty turn they refuse or the model misreads).
 */
export function assistantParts(message: ChatMessage, param: string): ContentPart[] {
  const parts = contentParts(message.content, param);
  const refusal = (message as { refusal?: unknown }).refusal;
  if (parts.length === 0 && typeof refusal === "string" && refusal !== "") return [{ type: "text", text: refusal }];
  return parts;
}

/** The text of a message, for fields that only take text (system prompts, tool results). */
export function contentText(content: ChatMessage["content"], param: string): string {
  return contentParts(content, param)
    .map((part) => {
      if (part.type === "text") return part.text;
      throw new InvalidRequestError("only text is supported here", { param: `${param}.content` });
    })
    .join("\n");
}

/**
 * `data:image/png;base64,AAAA` → its media type and payload; undefined for other URLs. The
 * media type is lower-cased and the common `image/jpg` label (browsers, file extensions) made
 * `image/jpeg`: Anthropic refuses any media type but its four exact names.
 */
export function parseDataUrl(url: string): { mediaType: string; base64: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!match) return undefined;
  const mediaType = match[1]?.toLowerCase() ?? "application/octet-stream";
  return { mediaType: mediaType === "image/jpg" ? "image/jpeg" : mediaType, base64: match[2] ?? "" };
}

/** Tool call arguments, which OpenAI carries as a JSON string and other dialects as an object. */
export function parseToolArguments(args: unknown, param: string): Record<string, unknown> {
  if (typeof args !== "string" || args.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidRequestError("tool call arguments must be a JSON object", { param });
}

/** An OpenAI assistant `tool_calls` entry, as far as other dialects need it. */
export interface FunctionToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export function assistantToolCalls(message: ChatMessage, param: string): FunctionToolCall[] {
  return (message.tool_calls ?? []).map((call, index) => {
    const fn = (call as { function?: { name?: unknown; arguments?: unknown } }).function;
    const id = (call as { id?: unknown }).id;
    if (typeof fn?.name !== "string") {
      throw new InvalidRequestError("tool_calls entries need function.name", { param: `${param}.tool_calls.${index}` });
    }
    return {
      id: typeof id === "string" ? id : `call_${index}`,
      name: fn.name,
      arguments: parseToolArguments(fn.arguments, `${param}.tool_calls.${index}.function.arguments`),
    };
  });
}

/** OpenAI `tools` entries of type `function`: name, description and JSON Schema parameters. */
export interface FunctionTool {
  name: string;
  description: string | undefined;
  parameters: Record<string, unknown> | undefined;
}

export function functionTools(tools: unknown): FunctionTool[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.map((tool: unknown, index: number) => {
    const t = tool as {
      type?: unknown;
      function?: { name?: unknown; description?: unknown; parameters?: unknown };
    } | null;
    if (t?.type !== "function" || typeof t.function?.name !== "string") {
      throw new InvalidRequestError("only function tools are supported by this model's route", {
        param: `tools.${index}`,
      });
    }
    const parameters = t.function.parameters;
    return {
      name: t.function.name,
      description: typeof t.function.description === "string" ? t.function.description : undefined,
      parameters:
        typeof parameters === "object" && parameters !== null ? (parameters as Record<string, unknown>) : undefined,
    };
  });
}

/** OpenAI `tool_choice`, reduced to what every dialect can express. */
export type ToolChoice = { mode: "auto" | "none" | "required" } | { mode: "function"; name: string };

export function toolChoice(value: unknown): ToolChoice | undefined {
  if (value === "auto" || value === "none" || value === "required") return { mode: value };
  const name = (value as { function?: { name?: unknown } } | null)?.function?.name;
  if (typeof name === "string") return { mode: "function", name };
  if (value === undefined || value === null) return undefined;
  throw new InvalidRequestError("unsupported tool_choice", { param: "tool_choice" });
}

/** `stop` as a list: OpenAI accepts a string or an array. */
export function stopSequences(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    const list = value.filter((v): v is string => typeof v === "string");
    return list.length > 0 ? list : undefined;
  }
  return undefined;
}

/** `max_completion_tokens` supersedes the deprecated `max_tokens`. */
export function maxOutputTokens(request: {
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
}): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}
