import { InvalidRequestError, type ChatCompletionRequest } from "@switchyard/contracts";
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
import { SKIP_THOUGHT_SIGNATURE, toolCallSignature } from "./thought-signature.js";

type Part = Record<string, unknown>;
interface GeminiContent {
  role: "user" | "model";
  parts: Part[];
}

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

function partToGemini(part: ContentPart): Part {
  if (part.type === "text") return { text: part.text };
  if (part.data) return { inlineData: { mimeType: part.data.mediaType, data: part.data.base64 } };
  // fileData needs a MIME type; take it from the extension, as Google's own SDKs do.
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(part.url)?.[1]?.toLowerCase() ?? "";
  return { fileData: { mimeType: IMAGE_TYPES[extension] ?? "image/jpeg", fileUri: part.url } };
}

/** A tool result for `functionResponse.response`, which must be an object. */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // plain text result
  }
  return { content: text };
}

/**
 * Translates an OpenAI chat request into a Gemini `generateContent` request:
 * - system and developer messages become `systemInstruction`; `assistant` becomes role `model`;
 * - tool calls become `functionCall` parts, tool results `functionResponse` parts in a user
 *   turn (Gemini matches them by function name, so the name is looked up from the call id);
 *   a call's `extra_content.google.thought_signature` becomes the part's `thoughtSignature`;
 * - sampling settings move into `generationConfig` (`max_tokens` → `maxOutputTokens`), but
 *   not the penalties, which current Gemini models refuse;
 * - `response_format` maps to `responseMimeType` (and `responseJsonSchema` for a schema).
 */
export function toGeminiRequest(request: ChatCompletionRequest): Record<string, unknown> {
  const system: string[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const push = (role: GeminiContent["role"], parts: Part[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  request.messages.forEach((message, index) => {
    const param = `messages.${index}`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(contentText(message.content, param));
        break;
      case "user":
        push("user", contentParts(message.content, param).map(partToGemini));
        break;
      case "assistant": {
        const parts = assistantParts(message, param).map(partToGemini);
        assistantToolCalls(message, param).forEach((call, position) => {
          callNames.set(call.id, call.name);
          // Gemini signs the first call of a step (parallel calls after it carry none), and
          // Gemini 3 refuses a history whose first call lacks one. A call that never had one (a
          // conversation begun on another model) gets the value Google documents for that case.
          const signature =
            toolCallSignature(message.tool_calls?.[position]) ?? (position === 0 ? SKIP_THOUGHT_SIGNATURE : undefined);
          parts.push({
            functionCall: { name: call.name, args: call.arguments },
            ...(signature !== undefined && { thoughtSignature: signature }),
          });
        });
        push("model", parts);
        break;
      }
      case "tool": {
        const name = callNames.get(message.tool_call_id ?? "");
        if (!name)
          throw new InvalidRequestError("tool message does not answer an earlier tool call", {
            param: `${param}.tool_call_id`,
          });
        push("user", [{ functionResponse: { name, response: toolResponse(contentText(message.content, param)) } }]);
        break;
      }
      case "function":
        throw new InvalidRequestError("function messages are not supported by this model's route; use tool messages", {
          param,
        });
    }
  });

  // OpenAI answers a prompt of system messages alone; Gemini refuses a request without
  // contents, so such a prompt is the user's turn.
  if (contents.length === 0 && system.length > 0) push("user", [{ text: system.splice(0).join("\n\n") }]);

  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join("\n\n") }] };
  const generationConfig = toGenerationConfig(request);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  const tools = functionTools(request.tools);
  if (tools) {
    body.tools = [
      {
        functionDeclarations: tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined && { description: t.description }),
          // `parametersJsonSchema` takes full JSON Schema; `parameters` rejects keys such as
          // `additionalProperties` that OpenAI tool schemas commonly carry.
          ...(t.parameters !== undefined && { parametersJsonSchema: t.parameters }),
        })),
      },
    ];
  }
  const choice = toolChoice(request.tool_choice);
  if (choice) {
    const mode = { auto: "AUTO", none: "NONE", required: "ANY", function: "ANY" }[choice.mode];
    body.toolConfig = {
      functionCallingConfig: { mode, ...(choice.mode === "function" && { allowedFunctionNames: [choice.name] }) },
    };
  }
  return body;
}

function toGenerationConfig(request: ChatCompletionRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const max = maxOutputTokens(request);
  if (max !== undefined) config.maxOutputTokens = max;
  if (typeof request.temperature === "number") config.temperature = request.temperature;
  if (typeof request.top_p === "number") config.topP = request.top_p;
  const stop = stopSequences(request.stop);
  if (stop) config.stopSequences = stop;
  if (typeof request.seed === "number") config.seed = request.seed;
  // presence_penalty and frequency_penalty are left out: Gemini 2.5 and later models answer a
  // non-zero presencePenalty or frequencyPenalty with 400 "Penalty is not enabled for models/…".
  const format = request.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  if (format?.type === "json_object") config.responseMimeType = "application/json";
  if (format?.type === "json_schema") {
    config.responseMimeType = "application/json";
    if (format.json_schema?.schema !== undefined) config.responseJsonSchema = format.json_schema.schema;
  }
  return config;
}
