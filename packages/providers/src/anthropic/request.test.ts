import { describe, expect, it } from "vitest";
import { ChatCompletionRequest, InvalidRequestError } from "@switchyard/contracts";
import { fixture } from "../test-support/fixtures.js";
import { DEFAULT_MAX_TOKENS, JSON_MODE_INSTRUCTION, toAnthropicRequest, toAnthropicStreamRequest } from "./request.js";

describe("toAnthropicRequest", () => {
  it("maps a conversation with system prompts, images, tool calls and tool results", () => {
    const request = ChatCompletionRequest.parse(fixture(import.meta.url, "chat-request.json"));
    expect(toAnthropicRequest(request, "claude-sonnet-4-5-20250929")).toEqual(
      fixture(import.meta.url, "messages-request.json"),
    );
  });

  it("defaults max_tokens and prefers max_completion_tokens over max_tokens", () => {
    const messages = [{ role: "user" as const, content: "hi" }];
    expect(toAnthropicRequest({ model: "m", messages }, "u")).toEqual({
      model: "u",
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: "user", content: "hi" }],
      stream: false,
    });
    expect(
      toAnthropicRequest({ model: "m", messages, max_tokens: 10, max_completion_tokens: 20 }, "u").max_tokens,
    ).toBe(20);
  });

  it("sends temperature or top_p, never both, which Claude 4.5 models refuse with a 400", () => {
    const base = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };
    const sampling = (body: Record<string, unknown>) => ({ temperature: body.temperature, top_p: body.top_p });
    expect(sampling(toAnthropicRequest({ ...base, temperature: 0.7, top_p: 1 }, "u"))).toEqual({ temperature: 0.7 });
    expect(sampling(toAnthropicRequest({ ...base, top_p: 0.9 }, "u"))).toEqual({ top_p: 0.9 });
    expect(sampling(toAnthropicRequest({ ...base, temperature: 0.2 }, "u"))).toEqual({ temperature: 0.2 });
  });

  it("maps tool_choice values", () => {
    const base = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };
    expect(toAnthropicRequest({ ...base, tool_choice: "auto" }, "u").tool_choice).toEqual({ type: "auto" });
    expect(toAnthropicRequest({ ...base, tool_choice: "none" }, "u").tool_choice).toEqual({ type: "none" });
    expect(
      toAnthropicRequest({ ...base, tool_choice: { type: "function", function: { name: "f" } } }, "u").tool_choice,
    ).toEqual({
      type: "tool",
      name: "f",
    });
  });

  it("sends an assistant's refusal part (as OpenAI accepts in assistant content) as its text", () => {
    const request = {
      model: "m",
      messages: [
        { role: "user" as const, content: "help me" },
        { role: "assistant" as const, content: [{ type: "refusal", refusal: "I can't help with that." }] },
        { role: "user" as const, content: "why?" },
      ],
    };
    expect(toAnthropicRequest(request, "u").messages).toEqual([
      { role: "user", content: "help me" },
      { role: "assistant", content: [{ type: "text", text: "I can't help with that." }] },
      { role: "user", content: "why?" },
    ]);
  });

  it("sends an assistant message's refusal (content null) as its text, not an empty turn", () => {
    const request = {
      model: "m",
      messages: [
        { role: "user" as const, content: "help me" },
        { role: "assistant" as const, content: null, refusal: "I can't help with that." },
        { role: "user" as const, content: "why?" },
      ],
    };
    expect(toAnthropicRequest(request, "u").messages).toEqual([
      { role: "user", content: "help me" },
      { role: "assistant", content: [{ type: "text", text: "I can't help with that." }] },
      { role: "user", content: "why?" },
    ]);
  });

  it("sends a data URL labelled image/jpg as image/jpeg, the only JPEG type Anthropic accepts", () => {
    const body = toAnthropicRequest(
      {
        model: "m",
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/jpg;base64,/9j/4AAQ" } }] },
        ],
      },
      "u",
    );
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [{ type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } }],
      },
    ]);
  });

  it("sends a prompt of system messages alone as the user's turn: Anthropic needs a message", () => {
    const body = toAnthropicRequest(
      {
        model: "m",
        messages: [
          { role: "system", content: "You write haiku." },
          { role: "developer", content: "Write one about rain." },
        ],
      },
      "u",
    );
    expect(body.messages).toEqual([{ role: "user", content: "You write haiku.\n\nWrite one about rain." }]);
    expect(body.system).toBeUndefined();
  });

  it("refuses content it cannot translate instead of dropping it", () => {
    const request = {
      model: "m",
      messages: [{ role: "user" as const, content: [{ type: "input_audio", input_audio: {} }] }],
    };
    expect(() => toAnthropicRequest(request, "u")).toThrow(InvalidRequestError);
  });
});

describe("toAnthropicRequest: response_format", () => {
  const base = { model: "m", messages: [{ role: "user" as const, content: "weather in Oslo?" }] };
  const weather = {
    type: "object",
    properties: { city: { type: "string" }, celsius: { type: "number" } },
    required: ["city", "celsius"],
    additionalProperties: false,
  };

  it("sends a json_schema as output_config.format, Anthropic's GA structured outputs, and no response_format", () => {
    const body = toAnthropicRequest(
      {
        ...base,
        response_format: { type: "json_schema", json_schema: { name: "weather", strict: true, schema: weather } },
      },
      "u",
    );
    expect(body.output_config).toEqual({ format: { type: "json_schema", schema: weather } });
    expect(body).not.toHaveProperty("response_format");
    expect(body).not.toHaveProperty("output_format");
    expect(body.system).toBeUndefined();
  });

  it("sends the schema as Anthropic accepts it, with the format's description", () => {
    const body = toAnthropicRequest(
      {
        ...base,
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "count",
            description: "How many there are.",
            schema: { type: "object", properties: { n: { type: "integer", minimum: 0 } }, required: ["n"] },
          },
        },
      },
      "u",
    );
    expect(body.output_config).toEqual({
      format: {
        type: "json_schema",
        schema: {
          type: "object",
          description: "How many there are.",
          properties: { n: { type: "integer", description: "{minimum: 0}" } },
          required: ["n"],
          additionalProperties: false,
        },
      },
    });
  });

  it("asks for JSON in the system prompt for json_object, which no Anthropic schema can express", () => {
    const body = toAnthropicRequest(
      {
        ...base,
        messages: [{ role: "system", content: "Be brief." }, ...base.messages],
        response_format: { type: "json_object" },
      },
      "u",
    );
    expect(body.system).toBe(`Be brief.\n\n${JSON_MODE_INSTRUCTION}`);
    expect(body).not.toHaveProperty("output_config");
    expect(body).not.toHaveProperty("response_format");
    const noSchema = toAnthropicRequest(
      { ...base, response_format: { type: "json_schema", json_schema: { name: "anything" } } },
      "u",
    );
    expect(noSchema.system).toBe(JSON_MODE_INSTRUCTION);
    expect(noSchema).not.toHaveProperty("output_config");
  });

  it("sends nothing for text or null", () => {
    const plain = toAnthropicRequest(base, "u");
    expect(toAnthropicRequest({ ...base, response_format: { type: "text" } }, "u")).toEqual(plain);
    expect(toAnthropicRequest({ ...base, response_format: null }, "u")).toEqual(plain);
  });

  it("streams with the same output_config", () => {
    const request = {
      ...base,
      response_format: { type: "json_schema" as const, json_schema: { name: "w", schema: weather } },
    };
    expect(toAnthropicStreamRequest(request, "u")).toMatchObject({
      stream: true,
      output_config: { format: { type: "json_schema", schema: weather } },
    });
  });
});

describe("toAnthropicStreamRequest", () => {
  it("is the same request with stream: true", () => {
    const request = ChatCompletionRequest.parse(fixture(import.meta.url, "chat-request.json"));
    expect(toAnthropicStreamRequest(request, "u")).toEqual({ ...toAnthropicRequest(request, "u"), stream: true });
  });
});
