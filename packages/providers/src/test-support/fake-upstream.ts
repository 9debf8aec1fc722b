import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** What the fake upstream does with one request; `respond` scripts the raw response (streams). */
export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { destroy: true }
  | { respond(res: ServerResponse, req: RecordedRequest): void | Promise<void> };

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** Queues replies; when the queue is empty the default reply is used. */
  enqueue(...replies: Reply[]): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on a random port speaking whatever JSON the test scripts: upstreams are
 * the one thing tests fake, and a socket exercises timeouts and keep-alive as production does.
 */
export async function startFakeUpstream(defaultReply: (req: RecordedRequest) => Reply): Promise<FakeUpstream> {
  const queue: Reply[] = [];
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
      requests.push(recorded);
      const reply = queue.shift() ?? defaultReply(recorded);
      if ("hang" in reply) {
        hanging.add(res);
        return;
      }
      if ("destroy" in reply) {
        req.socket.destroy();
        return;
      }
      if ("respond" in reply) {
        void Promise.resolve()
          .then(() => reply.respond(res, recorded))
          .catch(() => res.destroy());
        return;
      }
      const body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
