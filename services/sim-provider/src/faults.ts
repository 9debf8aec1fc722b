import { z } from "zod";

/** The steps of the video task API a rule can be limited to with `on`. */
export const FaultPhase = z.enum(["create", "poll", "content"]);
export type FaultPhase = z.infer<typeof FaultPhase>;

/**
 * What a fault does to the one request it fires on. The same keys are accepted by
 * `POST /_sim/faults` and by the `x-sim-fault` request header. Strict, so a misspelt key is a
 * 400 instead of a fault that silently never fires.
 */
export const FaultSpec = z.strictObject({
  /** Substring the request's last user message must contain; absent = any request. */
  match: z.string().min(1).optional(),
  /** How many matching requests the rule fires on; -1 = until deleted. Default 1 (or -1 with sticky). */
  times: z.union([z.literal(-1), z.int().min(1)]).optional(),
  sticky: z.boolean().optional(),
  /** Answer with this status and the dialect's error envelope. */
  status: z.int().min(400).max(599).optional(),
  /** Seconds, sent as the Retry-After header. */
  retry_after: z.number().min(0).optional(),
  /** Overrides of the error envelope: message; type (OpenAI/Anthropic) or status (Gemini); code and param (OpenAI). */
  message: z.string().optional(),
  error_type: z.string().min(1).optional(),
  error_code: z.string().min(1).optional(),
  error_param: z.string().min(1).optional(),
  /** Delay before answering, on top of SIM_LATENCY_MS. */
  latency_ms: z.int().min(0).optional(),
  /** Never answer; the socket stays open until the client gives up (or the sim closes). */
  hang: z.boolean().optional(),
  /** Close the connection at once without any response. */
  drop: z.boolean().optional(),
  /** Answer with empty content. */
  empty: z.boolean().optional(),
  /** Answer with whitespace only: content that is there but that trimming empties. */
  blank: z.boolean().optional(),
  /** Report this finish reason verbatim, valid or not. */
  finish_reason: z.string().min(1).optional(),
  /** Streaming: cut the connection after N content chunks. Non-streaming: send only the first N bytes of the JSON. */
  truncate_after: z.int().min(0).optional(),
  /** Streaming: after N content chunks send an error event and end without finishing. */
  error_after: z.int().min(0).optional(),
  /** Streaming: pause between chunks. */
  chunk_delay_ms: z.int().min(0).optional(),
  /**
   * Only this step of the video task API: `POST /v1/videos`, `GET /v1/videos/{id}` or its
   * `/content`. A rule with `on` never fires anywhere else; absent = every request.
   */
  on: FaultPhase.optional(),
  /** Videos: the task created by this request takes this long to finish, instead of SIM_VIDEO_MS. */
  video_ms: z.int().min(0).optional(),
  /** Videos: the task created by this request ends `failed` instead of `completed`. */
  video_fail: z.boolean().optional(),
});
export type FaultSpec = z.infer<typeof FaultSpec>;

export interface FaultRule extends FaultSpec {
  id: string;
  times: number;
  /** Firings left; -1 = unlimited. */
  remaining: number;
  fired: number;
}

export interface FaultRegistry {
  add(spec: FaultSpec): FaultRule;
  list(): FaultRule[];
  remove(id: string): boolean;
  /** Removes every rule and returns how many there were. */
  clear(): number;
  /**
   * The first rule, in creation order, whose match the text contains and whose `on` (if any) is
   * the request's phase; firing consumes one of its times.
   */
  take(lastUserText: string, phase?: FaultPhase): FaultRule | undefined;
}

/**
 * An in-memory, ordered list of fault rules.
 *
 * @example
 * const faults = createFaultRegistry();
 * faults.add({ match: "t-123", status: 429, retry_after: 1 });
 * faults.take("hello t-123"); // fires once, then the rule is gone
 */
export function createFaultRegistry(): FaultRegistry {
  let rules: FaultRule[] = [];
  let nextId = 1;
  return {
    add(spec) {
      const times = spec.times ?? (spec.sticky ? -1 : 1);
      const rule: FaultRule = { id: `fault_${nextId++}`, ...spec, times, remaining: times, fired: 0 };
      rules.push(rule);
      return { ...rule };
    },
    list: () => rules.map((rule) => ({ ...rule })),
    remove(id) {
      const before = rules.length;
      rules = rules.filter((rule) => rule.id !== id);
      return rules.length < before;
    },
    clear() {
      const count = rules.length;
      rules = [];
      return count;
    },
    take(lastUserText, phase) {
      if (rules.length === 0) return undefined;
      const index = rules.findIndex(
        (rule) =>
          (rule.match === undefined || lastUserText.includes(rule.match)) &&
          (rule.on === undefined || rule.on === phase),
      );
      const rule = rules[index];
      if (!rule) return undefined;
      rule.fired += 1;
      if (rule.remaining > 0) {
        rule.remaining -= 1;
        if (rule.remaining === 0) rules.splice(index, 1);
      }
      return { ...rule };
    },
  };
}
