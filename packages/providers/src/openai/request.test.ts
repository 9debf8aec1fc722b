import { describe, expect, it } from "vitest";
import { ChatCompletionRequest } from "@switchyard/contracts";
import { fixture } from "../test-support/fixtures.js";
import { toOpenAIImagesRequest, toOpenAIRequest, toOpenAIStreamRequest } from "./request.js";

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

  it("leaves Gemini's extra_content off assistant tool calls, which OpenAI refuses as an unknown parameter", () => {
    const call = { id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } };
    const request: ChatCompletionRequest = {
      model: "m",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ ...call, extra_content: { google: { thought_signature: "Sig_A" } } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
    };
    for (const body of [toOpenAIRequest(request, "u"), toOpenAIStreamRequest(request, "u")]) {
      expect(body.messages).toEqual([
        request.messages[0],
        { ...request.messages[1], tool_calls: [call] },
        request.messages[2],
      ]);
    }
    // The client's request itself is untouched: a fallback to a Gemini route still needs the signature.
    expect(request.messages[1]?.tool_calls?.[0]).toHaveProperty("extra_content");
  });
});

describe("toOpenAIStreamRequest", () => {
  it("streams and always asks for usage, keeping the client's other stream options", () => {
    const body = toOpenAIStreamRequest(
      {
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        stream_options: { include_usage: false, include_obfuscation: false },
      },
      "u",
    );
    expect(body).toMatchObject({
      model: "u",
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
    });
  });

  it("adds stream_options when the client sent none", () => {
    expect(
      toOpenAIStreamRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }, "u").stream_options,
    ).toEqual({
      include_usage: true,
    });
  });
});

describe("toOpenAIImagesRequest", () => {
  it("asks dall-e models for b64_json whatever the client asked", () => {
    expect(toOpenAIImagesRequest({ prompt: "a fox", response_format: "url", n: 2 }, "dall-e-3")).toEqual({
      prompt: "a fox",
      n: 2,
      model: "dall-e-3",
      response_format: "b64_json",
    });
  });

  it("sends gpt-image models no response_format, which they refuse", () => {
    expect(
      toOpenAIImagesRequest({ prompt: "a fox", response_format: "b64_json", output_format: "webp" }, "gpt-image-1"),
    ).toEqual({ prompt: "a fox", output_format: "webp", model: "gpt-image-1" });
  });
});
