import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface UpstreamCall {
  /** The answer asked for with `Return exactly: <text>`. */
  marker: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface TestUpstream {
  readonly origin: string;
  readonly calls: UpstreamCall[];
  /** The next calls for `marker` answer with these statuses (an OpenAI error body) before succeeding. */
  failFirst(marker: string, ...statuses: number[]): void;
  /** Keeps the answers to `marker` waiting until the returned function is called. */
  hold(marker: string): () => void;
  callsFor(marker: string): UpstreamCall[];
  close(): Promise<void>;
}

/**
 * A tiny OpenAI-dialect upstream on a random port: `Return exactly: <text>` answers `<text>`,
 * after any failures scripted for it. Upstreams are the one thing the tests fake.
 */
export async function startTestUpstream(): Promise<TestUpstream> {
  const calls: UpstreamCall[] = [];
  const failures = new Map<string, number[]>();
  const held = new Map<string, Promise<void>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        messages?: Array<{ content?: unknown }>;
      } & Record<string, unknown>;
      const last = body.messages?.at(-1)?.content;
      const marker = typeof last === "string" ? last.replace(/^Return exactly: /, "") : "";
      calls.push({ marker, headers: req.headers, body });
      void (held.get(marker) ?? Promise.resolve()).then(() => answer(marker, body));
    });
    const answer = (marker: string, body: Record<string, unknown>): void => {
      const status = failures.get(marker)?.shift();
      if (status !== undefined) {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: { message: "scripted failure", type: "server_error", param: null, code: null } }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "chatcmpl-upstream",
          object: "chat.completion",
          created: 1_700_000_000,
          model: String(body.model),
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: marker, refusal: null },
              logprobs: null,
              finish_reason: "stop",
            },
          ],
          usage: {
            prompt_tokens: 9,
            completion_tokens: 3,
            total_tokens: 12,
            prompt_tokens_details: { cached_tokens: 4 },
          },
          system_fingerprint: "fp_test",
        }),
      );
    };
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    calls,
    failFirst: (marker, ...statuses) => failures.set(marker, statuses),
    hold: (marker) => {
      let release!: () => void;
      held.set(marker, new Promise<void>((resolve) => (release = resolve)));
      return () => {
        held.delete(marker);
        release();
      };
    },
    callsFor: (marker) => calls.filter((c) => c.marker === marker),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
