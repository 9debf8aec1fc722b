/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen in the stream, if any. */
  id: string | undefined;
  /** A reconnection delay the server asked for in this event. */
  retry: number | undefined;
}

/**
 * Parses a `text/event-stream` body as the WHATWG HTML spec defines it, yielding each event as
 * soon as its terminating blank line arrives. Handles CRLF, LF and CR line ends (including a
 * CRLF split across chunks), multi-line `data:`, comments (`: keep-alive`), a leading BOM and
 * UTF-8 sequences split across chunks. A final event without its blank line is discarded, as
 * the spec requires: it means the stream was cut, and a caller must not treat it as complete.
 *
 * @example
 * for await (const event of parseSse(response.body)) {
 *   if (event.data === "[DONE]") break;
 *   handle(JSON.parse(event.data));
 * }
 */
export async function* parseSse(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder("utf-8");
  const parser = new SseLineParser();
  for await (const chunk of source) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    yield* parser.push(text);
  }
  yield* parser.push(decoder.decode());
}

/** The incremental state machine behind `parseSse`; push text, collect finished events. */
export class SseLineParser {
  private buffer = "";
  private skipLeadingLF = false;
  private started = false;
  private data: string[] = [];
  private eventType = "";
  private lastId: string | undefined;
  private retry: number | undefined;

  push(text: string): SseEvent[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLeadingLF && text.startsWith("\n")) text = text.slice(1);
    if (text.length > 0) this.skipLeadingLF = false;
    this.buffer += text;

    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 0x0a && ch !== 0x0d) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 0x0d) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 0x0a) i++;
        } else {
          // The LF of this CRLF may open the next chunk.
          this.skipLeadingLF = true;
        }
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const eventType = this.eventType;
    const retry = this.retry;
    this.data = [];
    this.eventType = "";
    this.retry = undefined;
    if (data.length === 0) return undefined;
    return { event: eventType || "message", data: data.join("\n"), id: this.lastId, retry };
  }
}
