import { describe, expect, it } from "vitest";
import {
  ChatCompletion,
  JobCancelled,
  JobCompleted,
  JobFailed,
  JobProgressed,
  JobStarted,
  UpstreamRejectedError,
  UpstreamUnavailableError,
  eventMessageId,
} from "@switchyard/contracts";
import {
  cancelledEvent,
  chatCompletedEvent,
  failedEvent,
  progressEvent,
  startedEvent,
  toClientCompletion,
} from "./events.js";
import { completion, job } from "./test-support/fakes.js";

describe("toClientCompletion", () => {
  const j = job({ id: "job_4fQ2abcdEFGH1234", model: "gpt-4o-mini", createdAt: 1_719_168_000_123 });

  it("answers with the job's id, acceptance time and public model, and full usage", () => {
    const result = toClientCompletion(
      j,
      completion("hi", {
        usage: {
          prompt_tokens: 12,
          completion_tokens: 34,
          total_tokens: 46,
          prompt_tokens_details: { cached_tokens: 8 },
        },
      }),
    );
    expect(result).toEqual({
      id: "chatcmpl-4fQ2abcdEFGH1234",
      object: "chat.completion",
      created: 1_719_168_000,
      model: "gpt-4o-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "hi", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 34,
        total_tokens: 46,
        prompt_tokens_details: { cached_tokens: 8, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    });
    expect(ChatCompletion.safeParse(result).success).toBe(true);
  });

  it("passes system_fingerprint and service_tier through and keeps tool calls", () => {
    const toolCalls = [{ id: "call_1", type: "function" as const, function: { name: "f", arguments: "{}" } }];
    const upstream = completion("", {
      system_fingerprint: "fp_x",
      service_tier: "default",
      choices: [
        { index: 0, message: { role: "assistant", content: null, tool_calls: toolCalls }, finish_reason: "tool_calls" },
      ],
    });
    const result = toClientCompletion(j, upstream);
    expect(result).toMatchObject({ system_fingerprint: "fp_x", service_tier: "default" });
    expect(result.choices[0]?.message.tool_calls).toEqual(toolCalls);
    expect(toClientCompletion(j, completion())).not.toHaveProperty("system_fingerprint");
  });
});

describe("event builders", () => {
  const j = job();

  it("builds valid started, completed and failed events", () => {
    const started = startedEvent(j, 2, "openai@host:1", 5);
    expect(JobStarted.parse(started)).toEqual(started);
    expect(eventMessageId(started)).toBe(`${j.id}:started:2`);

    const completed = chatCompletedEvent(j, { route: "a", attempts: 2, latencyMs: 40, completion: completion() }, 9);
    expect(JobCompleted.parse(completed)).toEqual(completed);
    expect(completed.usage).toEqual(completed.result.usage);

    const failed = failedEvent(
      j,
      { route: "a", attempts: 3, latencyMs: 40, error: new UpstreamUnavailableError("upstream returned 503") },
      9,
    );
    expect(JobFailed.parse(failed)).toEqual(failed);
    expect(failed.error).toEqual({
      message: "upstream returned 503",
      type: "server_error",
      code: "upstream_unavailable",
      param: null,
      status: 502,
    });
    expect(eventMessageId(failed)).toBe(eventMessageId(completed));
  });

  it("keeps a rejection's own status: a 400 from the upstream stays 400", () => {
    const failed = failedEvent(
      j,
      { route: "a", attempts: 1, latencyMs: 1, error: new UpstreamRejectedError("upstream returned 400", 400) },
      1,
    );
    expect(failed.error).toMatchObject({ status: 400, code: "upstream_rejected", type: "invalid_request_error" });
  });

  it("carries the terminal fields: webhook target, stream end, billable units and chunk count", () => {
    const tracked = job({ webhook: { url: "https://hooks.test/a" } });
    const completed = chatCompletedEvent(
      tracked,
      { route: "a", attempts: 1, latencyMs: 4, completion: completion(), streamEnd: "done", chunks: 7 },
      9,
    );
    expect(completed).toMatchObject({
      webhook: { url: "https://hooks.test/a" },
      streamEnd: "done",
      chunks: 7,
      units: null,
    });
    expect(JobCompleted.parse(completed)).toEqual(completed);
    const unstreamed = chatCompletedEvent(
      job(),
      { route: "a", attempts: 1, latencyMs: 4, completion: completion() },
      9,
    );
    expect(unstreamed).not.toHaveProperty("chunks");
    expect(unstreamed).toMatchObject({ webhook: null, streamEnd: null });

    const cancelled = cancelledEvent(
      tracked,
      {
        route: "a",
        attempts: 1,
        latencyMs: 4,
        reason: "client_closed",
        usage: completion().usage,
        streamEnd: "client_closed",
        chunks: 3,
      },
      9,
    );
    expect(JobCancelled.parse(cancelled)).toEqual(cancelled);
    expect(eventMessageId(cancelled)).toBe(eventMessageId(completed));

    const progress = progressEvent(tracked, { progress: 40, upstreamTaskId: "vt_1" }, 9);
    expect(JobProgressed.parse(progress)).toEqual(progress);
  });
});
