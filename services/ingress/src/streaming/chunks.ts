import { normalizeUsage, type ErrorBody, type TokenChunk, type Usage } from "@switchyard/contracts";

type Delta = TokenChunk["delta"];

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
 * once, so a chunk costs one `JSON.stringify` of its delta.
 */
export interface ChunkStream {
  /** The frame for a worker's delta, or undefined when the delta carries nothing to show. */
  delta(delta: Delta): string | undefined;
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
  const head =
    `data: {"id":${JSON.stringify(completionId(options.jobId))},"object":"chat.completion.chunk",` +
    `"created":${Math.floor(options.createdAt / 1000)},"model":${JSON.stringify(options.model)},` +
    `"system_fingerprint":null,"choices":`;
  const tail = options.includeUsage ? `,"usage":null}\n\n` : `}\n\n`;
  const choice = (deltaJson: string, finishJson: string): string =>
    `${head}[{"index":0,"delta":${deltaJson},"logprobs":null,"finish_reason":${finishJson}}]${tail}`;
  let started = false;

  const delta = (value: Delta): string | undefined => {
    if (isEmpty(value)) return undefined;
    const shown = started ? value : { role: "assistant" as const, ...value };
    started = true;
    return choice(JSON.stringify(shown), "null");
  };

  return {
    get started() {
      return started;
    },
    delta,
    finish: (reason) => {
      // An answer with no delta at all (an empty completion) still opens with the role.
      const opening = started ? "" : (delta({ content: "" }) ?? "");
      return `${opening}${choice("{}", JSON.stringify(reason))}`;
    },
    usage: (usage) =>
      options.includeUsage ? `${head}[],"usage":${JSON.stringify(normalizeUsage(usage))}}\n\n` : undefined,
  };
}
