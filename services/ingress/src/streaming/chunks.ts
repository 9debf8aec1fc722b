import { normalizeUsage, type ErrorBody, type TokenChunk, type Usage } from "@switchyard/contracts";

type Delta = TokenChunk["delta"];

/** What one frame shows: a delta, its tokens' logprobs, and the upstream's fingerprint from here on. */
export type ChunkParts = Pick<TokenChunk, "delta" | "logprobs" | "system_fingerprint">;

export interface ChunkStreamOptions {
  /** The job id; the completion id is derived from it. */
  jobId: string;
  /** Epoch ms the job was accepted: `created` of every chunk. */
  createdAt: number;
  model: string;
  /** `stream_options.include_usage`: `"usage": null` on every chunk and a final usage chunk. */
  includeUsage: boolean;
}

/**
 * SSE frames of one `chat.completion.chunk` stream, in OpenAI's exact shape and key order.
 * Every chunk carries the same `id` and `created`; the first delta carries the role; the finish
 * reason goes on a last chunk with an empty delta. The frame text around each delta is built
 * once (again only when the upstream's `system_fingerprint` changes), so a chunk costs one
 * `JSON.stringify` of its delta, and one of its logprobs when the client asked for them.
 */
export interface ChunkStream {
  /**
   * The frame for a worker's chunk, or undefined when its delta carries nothing to show. A
   * fingerprint it names goes on this frame and every later one.
   */
  delta(parts: ChunkParts): string | undefined;
  /** The last choice chunk: an empty delta with the finish reason (after the role chunk if none went out). */
  finish(reason: string): string;
  /** The `"choices": []` chunk with the usage, or undefined when the client did not ask for it. */
  usage(usage: Usage): string | undefined;
  /** True once a delta frame was made (the role went out). */
  readonly started: boolean;
}

export const DONE_FRAME = "data: [DONE]\n\n";

/** `job_abc` -> `chatcmpl-abc`: the id a client sees is stable across retries of the same job. */
export function completionId(jobId: string): string {
  return `chatcmpl-${jobId.startsWith("job_") ? jobId.slice(4) : jobId}`;
}

/** The mid-stream error: an OpenAI envelope as the last `data:` line, never followed by [DONE]. */
export function errorFrame(body: ErrorBody): string {
  return `data: ${JSON.stringify({ error: body })}\n\n`;
}

function isEmpty(delta: Delta): boolean {
  for (const value of Object.values(delta)) if (value !== undefined) return false;
  return true;
}

export function createChunkStream(options: ChunkStreamOptions): ChunkStream {
  const start =
    `data: {"id":${JSON.stringify(completionId(options.jobId))},"object":"chat.completion.chunk",` +
    `"created":${Math.floor(options.createdAt / 1000)},"model":${JSON.stringify(options.model)},` +
    `"system_fingerprint":`;
  let fingerprint: string | undefined;
  let head = `${start}null,"choices":`;
  const tail = options.includeUsage ? `,"usage":null}\n\n` : `}\n\n`;
  const choice = (deltaJson: string, logprobsJson: string, finishJson: string): string =>
    `${head}[{"index":0,"delta":${deltaJson},"logprobs":${logprobsJson},"finish_reason":${finishJson}}]${tail}`;
  let started = false;

  const delta = (parts: ChunkParts): string | undefined => {
    const named = parts.system_fingerprint;
    if (named !== undefined && named !== fingerprint) {
      fingerprint = named;
      head = `${start}${JSON.stringify(named)},"choices":`;
    }
    const value = parts.delta;
    if (isEmpty(value)) return undefined;
    const shown = started ? value : { role: "assistant" as const, ...value };
    started = true;
    return choice(JSON.stringify(shown), parts.logprobs ? JSON.stringify(parts.logprobs) : "null", "null");
  };

  return {
    get started() {
      return started;
    },
    delta,
    finish: (reason) => {
      // An answer with no delta at all (an empty completion) still opens with the role.
      const opening = started ? "" : (delta({ delta: { content: "" } }) ?? "");
      return `${opening}${choice("{}", "null", JSON.stringify(reason))}`;
    },
    usage: (usage) =>
      options.includeUsage ? `${head}[],"usage":${JSON.stringify(normalizeUsage(usage))}}\n\n` : undefined,
  };
}
