/** One server-sent event as tests see it. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** Splits an SSE body into events; test-only, so it assumes the sim's own framing. */
export function parseSse(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    if (block.trim() === "") continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    events.push({ event, data: data.join("\n") });
  }
  return events;
}

/** The JSON payloads of an SSE body, skipping OpenAI's `[DONE]` sentinel. */
export function sseJson(body: string): Record<string, unknown>[] {
  return parseSse(body)
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data) as Record<string, unknown>);
}
