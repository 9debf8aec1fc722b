import { describe, expect, it } from "vitest";
import {
  fromAnthropicUsage,
  fromGeminiUsage,
  fromOpenAIImagesUsage,
  fromOpenAIUsage,
  reportsGeminiCompletion,
} from "./usage.js";

const details = (cached: number, reasoning: number) => ({
  prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: reasoning,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
});

describe("usage mapping", () => {
  it("keeps OpenAI usage and fills the missing detail fields", () => {
    expect(
      fromOpenAIUsage({
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
      }),
    ).toEqual({
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      ...details(4, 0),
    });
  });

  it("gives zeros for missing or garbage usage", () => {
    expect(fromOpenAIUsage(undefined)).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      ...details(0, 0),
    });
    expect(fromOpenAIUsage({ prompt_tokens: -3, completion_tokens: "7" })).toMatchObject({
      prompt_tokens: 0,
      completion_tokens: 0,
    });
  });

  it("counts Anthropic cache reads and writes as prompt tokens and reads as cached", () => {
    expect(
      fromAnthropicUsage({
        input_tokens: 21,
        cache_creation_input_tokens: 188,
        cache_read_input_tokens: 1800,
        output_tokens: 393,
      }),
    ).toEqual({
      prompt_tokens: 2009,
      completion_tokens: 393,
      total_tokens: 2402,
      ...details(1800, 0),
    });
  });

  it("adds Gemini thoughts to completion tokens and reports them as reasoning", () => {
    expect(
      fromGeminiUsage({
        promptTokenCount: 4120,
        candidatesTokenCount: 7,
        totalTokenCount: 4339,
        cachedContentTokenCount: 4096,
        thoughtsTokenCount: 212,
      }),
    ).toEqual({ prompt_tokens: 4120, completion_tokens: 219, total_tokens: 4339, ...details(4096, 212) });
  });

  it("tells a Gemini count of the answer from a chunk's usage that has only the prompt's", () => {
    expect(reportsGeminiCompletion({ promptTokenCount: 11, totalTokenCount: 11 })).toBe(false);
    expect(reportsGeminiCompletion({ promptTokenCount: 11, candidatesTokenCount: 0, totalTokenCount: 11 })).toBe(true);
    expect(reportsGeminiCompletion(undefined)).toBe(false);
  });

  it("maps OpenAI images usage to prompt = input and completion = output, and none to null", () => {
    expect(
      fromOpenAIImagesUsage({
        input_tokens: 50,
        input_tokens_details: { text_tokens: 50, image_tokens: 0 },
        output_tokens: 4160,
        total_tokens: 4210,
      }),
    ).toEqual({ prompt_tokens: 50, completion_tokens: 4160, total_tokens: 4210, ...details(0, 0) });
    expect(fromOpenAIImagesUsage(undefined)).toBeNull();
    expect(fromOpenAIImagesUsage(null)).toBeNull();
  });
});
