import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { parseSse, type SseEvent } from "./sse.js";

const encoder = new TextEncoder();

async function collect(chunks: Array<string | Uint8Array>): Promise<SseEvent[]> {
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) yield typeof chunk === "string" ? encoder.encode(chunk) : chunk;
  }
  const events: SseEvent[] = [];
  for await (const event of parseSse(source())) events.push(event);
  return events;
}

/** Every way of cutting `text` into two chunks, plus one byte at a time. */
function splits(text: string): Array<Uint8Array[]> {
  const bytes = encoder.encode(text);
  const out: Array<Uint8Array[]> = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.slice(0, i), bytes.slice(i)]);
  out.push([...bytes].map((b) => new Uint8Array([b])));
  return out;
}

describe("parseSse", () => {
  it("yields data events and defaults the event type to message", async () => {
    expect(await collect(['data: {"a":1}\n\n', "data: [DONE]\n\n"])).toEqual([
      { event: "message", data: '{"a":1}', id: undefined, retry: undefined },
      { event: "message", data: "[DONE]", id: undefined, retry: undefined },
    ]);
  });

  it("joins multi-line data with newlines and keeps event, id and retry", async () => {
    const events = await collect(["event: delta\nid: 7\nretry: 3000\ndata: line one\ndata:line two\ndata\n\n"]);
    expect(events).toEqual([{ event: "delta", data: "line one\nline two\n", id: "7", retry: 3000 }]);
  });

  it("ignores comments and events without data", async () => {
    expect(await collect([": keep-alive\n\nevent: ping\n\n: another\ndata: x\n\n"])).toEqual([
      { event: "message", data: "x", id: undefined, retry: undefined },
    ]);
  });

  it("handles CRLF and lone CR line ends", async () => {
    expect((await collect(["data: a\r\n\r\ndata: b\r\rdata: c\n\n"])).map((e) => e.data)).toEqual(["a", "b", "c"]);
  });

  it("gives the same events however the bytes are chunked, including split CRLF and UTF-8", async () => {
    const text = "\uFEFFevent: x\r\ndata: héllo 👋\r\n\r\n: c\r\ndata: second\r\ndata: part\r\n\r\n";
    const expected = [
      { event: "x", data: "héllo 👋", id: undefined, retry: undefined },
      { event: "message", data: "second\npart", id: undefined, retry: undefined },
    ];
    for (const chunks of splits(text)) expect(await collect(chunks)).toEqual(expected);
  });

  it("discards a final event that never got its blank line (a cut stream)", async () => {
    expect((await collect(["data: complete\n\n", "data: cut off"])).map((e) => e.data)).toEqual(["complete"]);
  });

  it("keeps the last id across events", async () => {
    const events = await collect(["id: 1\ndata: a\n\ndata: b\n\n"]);
    expect(events.map((e) => e.id)).toEqual(["1", "1"]);
  });

  it.each([
    ["openai", "../openai/", 6],
    ["anthropic", "../anthropic/", 8],
    ["gemini", "../gemini/", 2],
  ])("parses the recorded %s stream", async (_name, folder, count) => {
    const text = fixtureText(new URL(folder, import.meta.url).href, "stream.sse");
    const events = await collect(splits(text)[17] ?? [text]);
    expect(events).toHaveLength(count);
    for (const event of events)
      if (event.data !== "[DONE]") expect(() => JSON.parse(event.data) as unknown).not.toThrow();
  });
});
