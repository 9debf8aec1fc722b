import { describe, expect, it } from "vitest";
import { answerPrompt, countAnswerTokens, toolArgumentsObject } from "./answer.js";
import { createPrompt, type PromptMessage } from "./prompt.js";

const user = (text: string): PromptMessage => ({ role: "user", text });

describe("answerPrompt", () => {
  it("returns exactly the requested text, newlines included", () => {
    const answer = answerPrompt(createPrompt([user("Return exactly: Hello,\nworld!")], false, undefined));
    expect(answer).toEqual({ kind: "text", text: "Hello,\nworld!", finish: "stop" });
  });

  it("answers from the last user message only", () => {
    const prompt = createPrompt(
      [user("Return exactly: first"), { role: "assistant", text: "first" }, user("Return exactly: second")],
      false,
      undefined,
    );
    expect(answerPrompt(prompt)).toMatchObject({ text: "second" });
  });

  it("gives the same pseudo answer for the same messages and different ones otherwise", () => {
    const a = answerPrompt(createPrompt([user("What is NATS?")], false, undefined));
    const b = answerPrompt(createPrompt([user("What is NATS?")], false, undefined));
    const c = answerPrompt(createPrompt([user("What is JetStream?")], false, undefined));
    const d = answerPrompt(
      createPrompt([{ role: "system", text: "Be brief." }, user("What is NATS?")], false, undefined),
    );
    expect(a).toEqual(b);
    expect(a.kind === "text" && a.text).toMatch(/^[A-Z][a-z]{3}( [a-z]{4}){5,11}\.$/);
    expect(c).not.toEqual(a);
    expect(d).not.toEqual(a);
  });

  it("truncates to max tokens and finishes with length", () => {
    const answer = answerPrompt(createPrompt([user("Return exactly: abcdefghijkl")], false, 2));
    expect(answer).toEqual({ kind: "text", text: "abcdefgh", finish: "length" });
    expect(countAnswerTokens(answer)).toBe(2);
    expect(answerPrompt(createPrompt([user("Return exactly: abcdefgh")], false, 2))).toMatchObject({ finish: "stop" });
  });

  it("calls a tool only when tools were offered", () => {
    const text = 'Call tool: get_weather {"city":"Paris"}';
    expect(answerPrompt(createPrompt([user(text)], true, undefined))).toEqual({
      kind: "tool_call",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
    });
    expect(answerPrompt(createPrompt([user("Call tool: ping")], true, undefined))).toEqual({
      kind: "tool_call",
      name: "ping",
      arguments: "{}",
    });
    expect(answerPrompt(createPrompt([user(text)], false, undefined))).toMatchObject({ kind: "text", finish: "stop" });
  });

  it("answers a prompt without any user message", () => {
    expect(answerPrompt(createPrompt([{ role: "system", text: "Be brief." }], false, undefined))).toMatchObject({
      kind: "text",
    });
  });
});

describe("toolArgumentsObject", () => {
  it("parses objects and turns anything else into {}", () => {
    expect(toolArgumentsObject('{"a":1}')).toEqual({ a: 1 });
    expect(toolArgumentsObject("[1]")).toEqual({});
    expect(toolArgumentsObject("{not json")).toEqual({});
  });
});
