import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { randomId } from "@switchyard/contracts";
import { startStack, type Stack } from "./support/stack.js";

// Fields an OpenAI client reads besides the text: `logprobs` (asked for with `logprobs: true`)
// and `system_fingerprint`, passed through from an OpenAI-dialect upstream, streamed or not,
// and in a stream replayed for a second request with the same Idempotency-Key.
let stack: Stack;
let simFingerprint: string;

beforeAll(async () => {
  stack = await startStack();
  const direct = await fetch(`${stack.simUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
  });
  simFingerprint = ((await direct.json()) as { system_fingerprint: string }).system_fingerprint;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

const tokens = (logprobs: { content: Array<{ token: string }> | null } | null | undefined): string =>
  (logprobs?.content ?? []).map((entry) => entry.token).join("");

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Every chunk with text carries the tokens that spell that text, each with its alternatives. */
function expectLogprobsSpellChunks(chunks: Chunk[], text: string, topLogprobs: number): void {
  const content = chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "");
  expect(content.map((c) => c.choices[0]!.delta.content).join("")).toBe(text);
  for (const chunk of content) {
    const choice = chunk.choices[0]!;
    expect(tokens(choice.logprobs)).toBe(choice.delta.content);
    for (const entry of choice.logprobs!.content!) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.bytes).toEqual([...Buffer.from(entry.token, "utf8")]);
      expect(entry.top_logprobs).toHaveLength(topLogprobs);
    }
  }
}

describe("logprobs and system_fingerprint", () => {
  it("stream each content chunk's token logprobs, and the upstream's fingerprint on every chunk", async () => {
    const text = `Log ${randomId(8)} probabilities, token by token.`;
    const chunks = await collect(
      await stack.openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `Return exactly: ${text}` }],
        stream: true,
        logprobs: true,
        top_logprobs: 2,
      }),
    );
    expectLogprobsSpellChunks(chunks, text, 2);
    expect(chunks.every((c) => c.system_fingerprint === simFingerprint)).toBe(true);
  });

  it("answer a non-streamed request with the upstream's logprobs and fingerprint", async () => {
    const text = `Whole ${randomId(8)} answer.`;
    const completion = await stack.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Return exactly: ${text}` }],
      logprobs: true,
      top_logprobs: 2,
    });
    const choice = completion.choices[0]!;
    expect(choice.message.content).toBe(text);
    expect(tokens(choice.logprobs)).toBe(text);
    expect(choice.logprobs!.content!.every((entry) => entry.top_logprobs.length === 2)).toBe(true);
    expect(completion.system_fingerprint).toBe(simFingerprint);
  });

  it("replay them in the stream told again for the same Idempotency-Key", async () => {
    const text = `Told ${randomId(8)} twice.`;
    const request = {
      model: "gpt-4o-mini",
      messages: [{ role: "user" as const, content: `Return exactly: ${text}` }],
      stream: true as const,
      logprobs: true,
      top_logprobs: 1,
    };
    const options = { headers: { "Idempotency-Key": `logprobs-${randomId(12)}` } };
    const first = await collect(await stack.openai.chat.completions.create(request, options));
    const again = await collect(await stack.openai.chat.completions.create(request, options));
    expect(again[0]!.id).toBe(first[0]!.id);
    expectLogprobsSpellChunks(again, text, 1);
    expect(again.every((c) => c.system_fingerprint === simFingerprint)).toBe(true);
  });

  it("leave logprobs null when the client did not ask for them", async () => {
    const chunks = await collect(
      await stack.openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `Return exactly: plain ${randomId(8)} text` }],
        stream: true,
      }),
    );
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.choices[0]?.logprobs === null)).toBe(true);
    expect(chunks.every((c) => c.system_fingerprint === simFingerprint)).toBe(true);
  });
});
