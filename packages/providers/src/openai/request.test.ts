import { describe, expect, it } from "vitest";
import { ChatCompletionRequest } from "@switchyard/contracts";
import { fixture } from "../test-support/fixtures.js";
import { toOpenAIRequest } from "./request.js";

describe("toOpenAIRequest", () => {
  it("passes every field through, swapping the model and forcing a non-streaming call", () => {
    const request = ChatCompletionRequest.parse(fixture(import.meta.url, "chat-request.json"));
    const { stream_options: _so, ...rest } = request;
    expect(toOpenAIRequest(request, "gpt-4o-mini-2024-07-18")).toEqual({
      ...rest,
      model: "gpt-4o-mini-2024-07-18",
      stream: false,
    });
  });

  it("drops stream_options, which OpenAI refuses without stream: true", () => {
    const body = toOpenAIRequest(
      { model: "m", messages: [{ role: "user", content: "hi" }], stream_options: { include_usage: true } },
      "u",
    );
    expect(body).not.toHaveProperty("stream_options");
  });
});
