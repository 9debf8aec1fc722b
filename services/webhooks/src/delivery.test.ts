import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { USER_AGENT, createDeliverer, type Deliverer } from "./delivery.js";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let port: number;
const received: Received[] = [];
const deliverers: Deliverer[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      if (req.url === "/ok") res.writeHead(204).end();
      else if (req.url === "/busy") res.writeHead(503, { "retry-after": "7" }).end("try later");
      else if (req.url === "/moved") res.writeHead(307, { location: "http://127.0.0.1:1/elsewhere" }).end();
      else if (req.url === "/hang")
        return; // never answers
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await Promise.all(deliverers.map((d) => d.close()));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const deliverer = (allowPrivate: boolean, timeoutMs = 2_000): Deliverer => {
  const d = createDeliverer({ allowPrivate, timeoutMs });
  deliverers.push(d);
  return d;
};
const post = (d: Deliverer, url: string) =>
  d.deliver({ url, body: '{"id":"evt_1"}', headers: { "content-type": "application/json", "webhook-id": "evt_1" } });
const hits = (path: string) => received.filter((r) => r.path === path).length;

describe("deliver", () => {
  it("POSTs the body and headers as given, and counts a 2xx as delivered", async () => {
    const result = await post(deliverer(true), `http://127.0.0.1:${port}/ok`);
    expect(result).toEqual({
      delivered: true,
      permanent: false,
      httpStatus: 204,
      error: null,
      latencyMs: expect.any(Number),
      retryAfterMs: undefined,
    });
    const last = received.at(-1)!;
    expect(last.body).toBe('{"id":"evt_1"}');
    expect(last.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": "evt_1",
      "user-agent": USER_AGENT,
    });
  });

  it("reports another status as a failure, with the receiver's Retry-After", async () => {
    expect(await post(deliverer(true), `http://127.0.0.1:${port}/busy`)).toMatchObject({
      delivered: false,
      permanent: false,
      httpStatus: 503,
      error: "the receiver answered HTTP 503",
      retryAfterMs: 7_000,
    });
  });

  it("does not follow redirects", async () => {
    expect(await post(deliverer(true), `http://127.0.0.1:${port}/moved`)).toMatchObject({
      delivered: false,
      httpStatus: 307,
    });
    expect(hits("/elsewhere")).toBe(0);
  });

  it("fails an attempt that takes longer than the timeout", async () => {
    const result = await post(deliverer(true, 300), `http://127.0.0.1:${port}/hang`);
    expect(result).toMatchObject({
      delivered: false,
      permanent: false,
      httpStatus: null,
      error: "timed out after 300 ms",
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeLessThan(2_000);
  });

  it("reports a refused connection as a failure that may pass", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await post(deliverer(true), `http://127.0.0.1:${closedPort}/ok`)).toMatchObject({
      delivered: false,
      permanent: false,
      httpStatus: null,
      error: expect.stringMatching(/^connection failed: ECONNREFUSED/),
    });
  });

  it("refuses a private destination for good, by address or by a name that resolves to one", async () => {
    const before = hits("/ok");
    const d = deliverer(false);
    expect(await post(d, `http://127.0.0.1:${port}/ok`)).toMatchObject({
      delivered: false,
      permanent: true,
      httpStatus: null,
      error: "the webhook destination 127.0.0.1 is not a public address",
    });
    expect(await post(d, `http://localhost:${port}/ok`)).toMatchObject({
      delivered: false,
      permanent: true,
      error: expect.stringMatching(
        /^the webhook destination localhost resolves to (127\.0\.0\.1|::1), not a public address$/,
      ),
    });
    expect(await post(d, `file:///etc/passwd`)).toMatchObject({ permanent: true });
    expect(hits("/ok")).toBe(before);
  });
});
