import { Agent, Pool, type Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "node:http";
import { UnusableOutputError } from "@switchyard/contracts";
import { UpstreamHttpError, classifyFailure, classifyTransportError, type UpstreamErrorDetail } from "./classify.js";

/** Connections per upstream origin: one in-flight request each (no pipelining). */
const DEFAULT_CONNECTIONS = 128;
/** Bodies larger than this are not a chat answer; reading them would only cost memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface UpstreamAgentOptions {
  /** Connections per origin; beyond that, requests queue inside undici. */
  connections?: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs?: number;
  /** Time allowed to open a TCP/TLS connection. */
  connectTimeoutMs?: number;
}

function poolOptions(options: UpstreamAgentOptions): Pool.Options {
  return {
    connections: options.connections ?? DEFAULT_CONNECTIONS,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 10 * 60_000,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
  };
}

/**
 * An undici `Agent`: one keep-alive `Pool` per upstream origin. A worker creates one, passes
 * it to every `createProvider` call, and closes it on shutdown.
 *
 * @example
 * const agent = createUpstreamAgent({ connections: 128 });
 * const provider = createProvider(route, { dispatcher: agent });
 * // ... on shutdown
 * await agent.close();
 */
export function createUpstreamAgent(options: UpstreamAgentOptions = {}): Agent {
  return new Agent(poolOptions(options));
}

/** A keep-alive pool to a single origin, for an adapter that was given no dispatcher. */
export function createOriginPool(origin: string, options: UpstreamAgentOptions = {}): Pool {
  return new Pool(origin, poolOptions(options));
}

export interface UpstreamRequest {
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  signal: AbortSignal;
  /** Reads the dialect's error body for a short code and retry hints. */
  parseErrorDetail(text: string): UpstreamErrorDetail;
}

export interface UpstreamJsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  json: unknown;
}

/**
 * POSTs a JSON body and returns the parsed 2xx answer. Every other outcome is thrown as a
 * classified `BrokerError` (see `classify.ts`); the raw body only ever travels in `cause`.
 */
export async function postJson(dispatcher: Dispatcher, request: UpstreamRequest): Promise<UpstreamJsonResponse> {
  let response: Dispatcher.ResponseData;
  let text: string;
  try {
    response = await dispatcher.request({
      origin: request.url.origin,
      path: request.url.pathname + request.url.search,
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...request.headers },
      body: JSON.stringify(request.body),
      signal: request.signal,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    });
    text = await readText(response.body, MAX_BODY_BYTES);
  } catch (error) {
    throw classifyTransportError(error);
  }
  const status = response.statusCode;
  if (status < 200 || status >= 300) {
    throw classifyFailure({
      kind: "http",
      status,
      headers: response.headers,
      body: text,
      detail: request.parseErrorDetail(text),
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UnusableOutputError(`upstream returned ${status} with a body that is not JSON`, {
      cause: new UpstreamHttpError(status, text, { cause: error }),
    });
  }
  return { status, headers: response.headers, json };
}

async function readText(body: AsyncIterable<Buffer | Uint8Array | string>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer =
      typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += buffer.byteLength;
    if (size > limit) throw new UnusableOutputError(`upstream body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Joins a route's base URL and a path, keeping any path prefix the base already has. */
export function joinUrl(baseUrl: string, path: string): URL {
  return new URL(baseUrl.replace(/\/+$/, "") + path);
}
