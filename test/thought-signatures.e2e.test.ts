import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { randomId } from "@switchyard/contracts";
import { startStack, type Stack } from "./support/stack.js";

// Tool calling on a Gemini 3 model through the official openai client. Gemini 3 refuses a
// history that replays a function call without the thought signature it came with, so turn 2
// works only if the signature reached the client on turn 1 (as extra_content on the tool call)
// and went back upstream from the assistant message the client replays.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    families: ["gemini"],
    workerEnv: { WORKER_BACKOFF_BASE_MS: "20", WORKER_BACKOFF_MAX_MS: "100" },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const MODEL = "gemini-3.1-pro-preview";
const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
  },
];
type Message = OpenAI.ChatCompletionMessageParam;

/** Turn 1's question (unique per test) and turn 2's history: the assistant's message as given, and a result. */
const question = (): Message => ({ role: "user", content: `Call tool: get_weather {"city":"Oslo ${randomId(8)}"}` });
const withResult = (asked: Message, assistant: OpenAI.ChatCompletionMessage): Message[] => [
  asked,
  assistant,
  { role: "tool", tool_call_id: assistant.tool_calls?.[0]?.id ?? "", content: '{"temperature":21}' },
];

function expectSigned(message: OpenAI.ChatCompletionMessage): void {
  expect(message.tool_calls).toHaveLength(1);
  expect(message.tool_calls?.[0]).toMatchObject({
    type: "function",
    function: { name: "get_weather" },
    extra_content: { google: { thought_signature: expect.stringMatching(/^[A-Za-z0-9+/]{20,}=*$/) } },
  });
}

describe("Gemini 3 tool calls", () => {
  it("turn 2 replays the assistant message exactly as the client got it, and Gemini 3 takes it", async () => {
    const asked = question();
    const first = await stack.openai.chat.completions.create({ model: MODEL, messages: [asked], tools });
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    const assistant = first.choices[0]!.message;

    // Before the signature round-tripped, this was refused: 400 "upstream returned 400 (INVALID_ARGUMENT)".
    const second = await stack.openai.chat.completions.create({
      model: MODEL,
      messages: withResult(asked, assistant),
      tools,
    });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(second.choices[0]?.message.content).toEqual(expect.any(String));
    expectSigned(assistant);
  });

  it("does the same when turn 1 is streamed and the client library assembles the message", async () => {
    const asked = question();
    const key = `idem-${randomId(12)}`;
    const streamTurn = () =>
      stack.openai.chat.completions
        .stream({ model: MODEL, messages: [asked], tools }, { headers: { "Idempotency-Key": key } })
        .finalMessage();
    const assistant = await streamTurn();
    expectSigned(assistant);
    // The same key again is told from the job's stored result, which must carry the signature too.
    expect(await streamTurn()).toEqual(assistant);

    const stream = stack.openai.chat.completions.stream({
      model: MODEL,
      messages: withResult(asked, assistant),
      tools,
    });
    const answer = await stream.finalChatCompletion();
    expect(answer.choices[0]?.finish_reason).toBe("stop");
  });

  it("takes a history whose tool call never had a signature (a conversation begun on another model)", async () => {
    const asked = question();
    const borrowed: OpenAI.ChatCompletionMessage = {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "call_other", type: "function", function: { name: "get_weather", arguments: "{}" } }],
    };
    const answer = await stack.openai.chat.completions.create({
      model: MODEL,
      messages: withResult(asked, borrowed),
      tools,
    });
    expect(answer.choices[0]?.finish_reason).toBe("stop");
  });
});
