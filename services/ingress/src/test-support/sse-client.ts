import { request, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from "node:http";

/** The `data:` payloads of an SSE body, in order; comments (`: keep-alive`) are left out. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice(6));
}

export interface OpenStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly req: ClientRequest;
  readonly res: IncomingMessage;
  /** Reads the rest of the body (resuming a paused response) until the server ends it. */
  text(): Promise<string>;
}

/**
 * POSTs a JSON body over a real socket and resolves at the response headers, without reading
 * the body: a test decides when (and whether) to read, as a slow client would.
 */
export function openStream(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<OpenStream> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { ...headers, "content-type": "application/json" } });
    req.on("error", reject);
    req.on("response", (res) => {
      res.pause();
      let received = "";
      const ended = new Promise<string>((done, fail) => {
        res.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
        res.on("end", () => done(received));
        res.on("error", fail);
        res.on("aborted", () => done(received));
      });
      ended.catch(() => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        req,
        res,
        text: () => {
          res.resume();
          return ended;
        },
      });
    });
    req.end(JSON.stringify(body));
  });
}
