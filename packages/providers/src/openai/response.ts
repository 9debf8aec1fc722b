import { UpstreamHttpError, classifyStreamError } from "../base/classify.js";
import { parseEventJson, type StreamDecoder, type StreamDelta, type StreamPart } from "../base/stream.js";
import { ChoiceLogprobs, UnusableOutputError, type Usage } from "@switchyard/contracts";
import { parseDataUrl } from "../base/content.js";
import { fromOpenAIImagesUsage, fromOpenAIUsage } from "../base/usage.js";
import { openAIStreamErrorStatus, parseOpenAIError } from "./errors.js";

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/**
 * Tidies an OpenAI-compatible answer into the exact `chat.completion` shape, ready for
 * `validateCompletion`: usage with every detail field, `tool_calls` omitted when empty, and
 * the envelope fields some compatible servers leave out filled in. Choices and their finish
 * reasons are left as sent, so validation can reject what a client could not use.
 */
export function fromOpenAIResponse(body: unknown, fallback: { model: string; created: number }): Json {
  const raw = asObject(body) ?? {};
  const choices = Array.isArray(raw.choices)
    ? raw.choices.map((choice: unknown, index: number) => {
        const c = asObject(choice) ?? {};
        const message = { ...asObject(c.message) };
        if (Array.isArray(message.tool_calls) && message.tool_calls.length === 0) delete message.tool_calls;
        if (message.content === undefined) message.content = null;
        return Object.assign({}, c, {
          index: typeof c.index === "number" ? c.index : index,
          message,
          logprobs: c.logprobs ?? null,
        });
      })
    : raw.choices;
  // Object.assign rather than `{ ...raw, id }`: properties after a spread are ~20× slower on Node 20.
  return Object.assign({}, raw, {
    id: typeof raw.id === "string" ? raw.id : "chatcmpl-upstream",
    object: "chat.completion",
    created: typeof raw.created === "number" ? Math.floor(raw.created) : fallback.created,
    model: typeof raw.model === "string" ? raw.model : fallback.model,
    choices,
    usage: fromOpenAIUsage(raw.usage),
  });
}

/**
 * Reads an OpenAI-compatible `chat.completion.chunk` stream: choice 0's delta, logprobs and
 * finish reason, usage wherever it comes (OpenAI's final `choices: []` chunk, a chunk that still
 * has choices as LiteLLM sends, or `choices` null or missing as vLLM sends), an in-band
 * `{"error":...}` as a classified error, and `[DONE]` as the end. The `system_fingerprint` every
 * chunk repeats is passed on once, and again only if it changes, so it costs nothing per token.
 */
export function createOpenAIStreamDecoder(): StreamDecoder {
  let fingerprint: string | undefined;
  return {
    endsWithBody: false,
    decode(event, httpStatus): StreamPart[] {
      if (event.data === "[DONE]") return [{ type: "end" }];
      const chunk = parseEventJson(event, httpStatus);
      if (chunk.error !== undefined && chunk.error !== null) {
        throw classifyStreamError({
          equivalentStatus: openAIStreamErrorStatus(chunk.error),
          httpStatus,
          body: event.data,
          detail: parseOpenAIError(event.data),
        });
      }
      const parts: StreamPart[] = [];
      const choices = Array.isArray(chunk.choices) ? chunk.choices.map(asObject) : [];
      const choice = choices.find((c) => c?.index === 0) ?? choices[0];
      const newFingerprint =
        typeof chunk.system_fingerprint === "string" && chunk.system_fingerprint !== fingerprint
          ? (fingerprint = chunk.system_fingerprint)
          : undefined;
      const delta = choice ? toDelta(asObject(choice.delta)) : undefined;
      const logprobs = choice ? toLogprobs(choice.logprobs) : undefined;
      if (delta || logprobs || newFingerprint !== undefined) {
        const part: Extract<StreamPart, { type: "delta" }> = { type: "delta", delta: delta ?? {} };
        if (logprobs) part.logprobs = logprobs;
        if (newFingerprint !== undefined) part.systemFingerprint = newFingerprint;
        parts.push(part);
      }
      if (choice) {
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
          parts.push({ type: "finish", reason: choice.finish_reason });
        }
      }
      if (asObject(chunk.usage)) {
        parts.push({ type: "usage", usage: fromOpenAIUsage(chunk.usage), completionReported: true });
      }
      return parts;
    },
  };
}

/** The delta fields a client of the OpenAI API reads; undefined when nothing is left. */
function toDelta(raw: Json | undefined): StreamDelta | undefined {
  if (!raw) return undefined;
  const delta: StreamDelta = {};
  if (raw.role === "assistant") delta.role = "assistant";
  if (typeof raw.content === "string" && raw.content !== "") delta.content = raw.content;
  if (typeof raw.refusal === "string" && raw.refusal !== "") delta.refusal = raw.refusal;
  if (Array.isArray(raw.tool_calls) && raw.tool_calls.length > 0) {
    delta.tool_calls = raw.tool_calls.map((call) => asObject(call) ?? {});
  }
  return Object.keys(delta).length > 0 ? delta : undefined;
}

/**
 * A choice's `logprobs` when it scores any token: the common `null`, and the `{"content": []}`
 * some servers put on the role chunk, are nothing to pass on. Checked against the contract here
 * (only when present), so a malformed one is dropped rather than failing the ingress's read of
 * the chunk that carries it, which would break the client's stream.
 */
function toLogprobs(raw: unknown): ChoiceLogprobs | undefined {
  if (raw === null || raw === undefined) return undefined;
  const parsed = ChoiceLogprobs.safeParse(raw);
  if (!parsed.success) return undefined;
  const { content, refusal } = parsed.data;
  return (content?.length ?? 0) > 0 || (refusal?.length ?? 0) > 0 ? parsed.data : undefined;
}

/** One image of an images answer: its bytes, or a URL still to download. */
export type OpenAIImageSource =
  { bytes: Uint8Array; revisedPrompt: string | undefined } | { url: URL; revisedPrompt: string | undefined };

export interface OpenAIImagesAnswer {
  created: number;
  sources: OpenAIImageSource[];
  /** From `output_format` (the answer's, else the request's); undefined when neither says. */
  contentType: string | undefined;
  usage: Usage | null;
  /** The echoed `size`, `quality`, `background` and `output_format`, where present. */
  extra: Record<string, unknown>;
}

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  webp: "image/webp",
};
const ECHOED_FIELDS = ["size", "quality", "background", "output_format"] as const;

/**
 * Maps an `/images/generations` answer: `b64_json` items decoded to bytes, `url` items (dall-e
 * style, or `data:` URLs) left for the adapter to fetch, usage in chat terms. An answer without
 * images, or an item with neither field, is an `UnusableOutputError`.
 */
export function fromOpenAIImagesResponse(
  body: unknown,
  fallback: { created: number; outputFormat: string | undefined },
  httpStatus = 200,
): OpenAIImagesAnswer {
  const raw = asObject(body) ?? {};
  const unusable = (message: string) =>
    new UnusableOutputError(message, { cause: new UpstreamHttpError(httpStatus, summarize(raw)) });
  const items = Array.isArray(raw.data) ? raw.data.map(asObject) : [];
  if (items.length === 0) throw unusable("upstream returned no images");
  const sources = items.map((item): OpenAIImageSource => {
    const revisedPrompt = typeof item?.revised_prompt === "string" ? item.revised_prompt : undefined;
    if (typeof item?.b64_json === "string") return { bytes: Buffer.from(item.b64_json, "base64"), revisedPrompt };
    if (typeof item?.url === "string") {
      const inline = parseDataUrl(item.url);
      if (inline) return { bytes: Buffer.from(inline.base64, "base64"), revisedPrompt };
      const url = URL.canParse(item.url) ? new URL(item.url) : undefined;
      if (url && (url.protocol === "https:" || url.protocol === "http:")) return { url, revisedPrompt };
    }
    throw unusable("upstream returned an image without data");
  });
  const extra: Record<string, unknown> = {};
  for (const field of ECHOED_FIELDS) if (raw[field] !== undefined && raw[field] !== null) extra[field] = raw[field];
  const format = typeof raw.output_format === "string" ? raw.output_format : fallback.outputFormat;
  return {
    created: typeof raw.created === "number" ? Math.floor(raw.created) : fallback.created,
    sources,
    contentType: format === undefined ? undefined : (IMAGE_TYPES[format] ?? `image/${format}`),
    usage: fromOpenAIImagesUsage(raw.usage),
    extra,
  };
}

/** The answer without its image data, for the error's cause: base64 megabytes help no log. */
function summarize(raw: Json): string {
  const data = Array.isArray(raw.data) ? raw.data.map((item) => Object.keys(asObject(item) ?? {})) : raw.data;
  return JSON.stringify({ ...raw, data }) ?? "";
}
