import { describe, expect, it } from "vitest";
import { ChatCompletionRequest, InvalidRequestError } from "@switchyard/contracts";
import { fixture } from "../test-support/fixtures.js";
import { toGeminiRequest } from "./request.js";

describe("toGeminiRequest", () => {
  it("maps roles, system prompts, tools, tool results and generation settings", () => {
    const request = ChatCompletionRequest.parse(fixture(import.meta.url, "chat-request.json"));
    expect(toGeminiRequest(request)).toEqual(fixture(import.meta.url, "generate-content-request.json"));
  });

  it("sends a plain conversation without empty sections", () => {
    expect(
      toGeminiRequest({
        model: "m",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          { role: "user", content: "bye" },
        ],
      }),
    ).toEqual({
      contents: [
        { role: "user", parts: [{ text: "hi" }] },
        { role: "model", parts: [{ text: "hello" }] },
        { role: "user", parts: [{ text: "bye" }] },
      ],
    });
  });

  it("puts inline images in inlineData and json_object in responseMimeType", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [
        { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }] },
      ],
      response_format: { type: "json_object" },
      max_completion_tokens: 64,
    });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ inlineData: { mimeType: "image/jpeg", data: "/9j/4AAQ" } }] },
    ]);
    expect(body.generationConfig).toEqual({ maxOutputTokens: 64, responseMimeType: "application/json" });
  });

  it("sends an assistant's refusal part (as OpenAI accepts in assistant content) as its text", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [
        { role: "user", content: "help me" },
        { role: "assistant", content: [{ type: "refusal", refusal: "I can't help with that." }] },
      ],
    });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "help me" }] },
      { role: "model", parts: [{ text: "I can't help with that." }] },
    ]);
  });

  it("sends an assistant message's refusal (content null) as its text, not an empty turn", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [
        { role: "user", content: "help me" },
        { role: "assistant", content: null, refusal: "I can't help with that." },
      ],
    });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "help me" }] },
      { role: "model", parts: [{ text: "I can't help with that." }] },
    ]);
  });

  it("leaves penalties out, which Gemini 2.5 and later models refuse with a 400", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      presence_penalty: 0.5,
      frequency_penalty: 0.3,
      temperature: 0.2,
    });
    expect(body.generationConfig).toEqual({ temperature: 0.2 });
  });

  it("sends a prompt of system messages alone as the user's turn: Gemini needs contents", () => {
    const body = toGeminiRequest({
      model: "m",
      messages: [
        { role: "system", content: "You write haiku." },
        { role: "developer", content: "Write one about rain." },
      ],
    });
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "You write haiku.\n\nWrite one about rain." }] }]);
    expect(body.systemInstruction).toBeUndefined();
  });

  it("refuses a tool result that answers no earlier call", () => {
    const request = { model: "m", messages: [{ role: "tool" as const, tool_call_id: "nope", content: "x" }] };
    expect(() => toGeminiRequest(request)).toThrow(InvalidRequestError);
  });

  describe("thought signatures", () => {
    const call = (id: string, name: string, extra?: Record<string, unknown>) => ({
      id,
      type: "function" as const,
      function: { name, arguments: "{}" },
      ...extra,
    });
    const signed = (signature: string) => ({ extra_content: { google: { thought_signature: signature } } });
    const modelParts = (toolCalls: Record<string, unknown>[]) =>
      toGeminiRequest({
        model: "m",
        messages: [
          { role: "user", content: "weather in Paris and London?" },
          { role: "assistant", content: null, tool_calls: toolCalls },
        ],
      }).contents as Array<{ parts: unknown[] }>;

    it("sends a tool call's extra_content.google.thought_signature back as the functionCall part's thoughtSignature", () => {
      // Parallel calls: Gemini signs only the first, and the second goes back as it came.
      expect(modelParts([call("a", "weather", signed("Sig_A")), call("b", "weather")])[1]?.parts).toEqual([
        { functionCall: { name: "weather", args: {} }, thoughtSignature: "Sig_A" },
        { functionCall: { name: "weather", args: {} } },
      ]);
    });

    it("gives a first call without a signature Google's documented skip value, so Gemini 3 does not refuse the history", () => {
      // A conversation begun on another model has no signatures; only a step's first call needs one.
      expect(modelParts([call("a", "weather"), call("b", "time")])[1]?.parts).toEqual([
        { functionCall: { name: "weather", args: {} }, thoughtSignature: "skip_thought_signature_validator" },
        { functionCall: { name: "time", args: {} } },
      ]);
    });
  });
});
