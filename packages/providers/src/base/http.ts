import { Agent, type Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "node:http";
import { UnusableOutputError } from "@switchyard/contracts";
import { UpstreamHttpError, classifyFailure, classifyTransportError, type UpstreamErrorDetail } from "./classify.js";
import { credentialsIn } from "./client-error.js";

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

function poolOptions(options: UpstreamAgentOptions): Agent.Options {
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
  return sendJson(
    dispatcher,
    Object.assign({}, request, {
      method: "POST" as const,
      headers: Object.assign({ "content-type": "application/json" }, request.headers),
      body: JSON.stringify(request.body),
    }),
  );
}

/** GETs a JSON resource (a task's state); failures are classified as `postJson`'s are. */
export async function getJson(
  dispatcher: Dispatcher,
  request: Omit<UpstreamRequest, "body">,
): Promise<UpstreamJsonResponse> {
  return sendJson(dispatcher, { ...request, method: "GET", body: undefined });
}

/** `send` for an answer that must be JSON: a 2xx that is not is an `UnusableOutputError`. */
export async function sendJson(dispatcher: Dispatcher, request: UpstreamSendRequest): Promise<UpstreamJsonResponse> {
  const response = await send(dispatcher, request);
  const text = response.bytes.toString("utf8");
  try {
    return { status: response.status, headers: response.headers, json: JSON.parse(text) };
  } catch (error) {
    throw new UnusableOutputError(`upstream returned ${response.status} with a body that is not JSON`, {
      cause: new UpstreamHttpError(response.status, text, { cause: error }),
    });
  }
}

export interface UpstreamSendRequest extends Omit<UpstreamRequest, "body"> {
  method: "GET" | "POST" | "DELETE";
  /** Sent as is; the caller sets its `content-type`. */
  body: string | Uint8Array | undefined;
  /** Bodies larger than this fail as unusable; 16 MiB unless said otherwise. */
  maxBytes?: number;
}

export interface UpstreamBytesResponse {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
}

/**
 * Sends one request and reads the whole 2xx body as bytes (a JSON answer, an image, a video).
 * Transport failures and non-2xx answers are thrown as classified `BrokerError`s.
 */
export async function send(dispatcher: Dispatcher, request: UpstreamSendRequest): Promise<UpstreamBytesResponse> {
  let response: Dispatcher.ResponseData;
  let bytes: Buffer;
  try {
    response = await dispatcher.request({
      origin: request.url.origin,
      path: request.url.pathname + request.url.search,
      method: request.method,
      headers: { accept: "application/json", ...request.headers },
      body: request.body,
      signal: request.signal,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    });
    bytes = await readBytes(response.body, request.maxBytes ?? MAX_BODY_BYTES);
  } catch (error) {
    throw classifyTransportError(error);
  }
  const status = response.statusCode;
  if (status < 200 || status >= 300) {
    const text = bytes.toString("utf8");
    throw classifyFailure({
      kind: "http",
      status,
      headers: response.headers,
      body: text,
      detail: request.parseErrorDetail(text),
      secrets: credentialsIn(request.headers),
    });
  }
  return { status, headers: response.headers, bytes };
}

/** Reads a body to the end, failing once it passes `limit` bytes rather than after. */
export async function readBytes(body: AsyncIterable<Buffer | Uint8Array | string>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer =
      typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += buffer.byteLength;
    if (size > limit) throw new UnusableOutputError(`upstream body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The first value of a response header. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Joins a route's base URL and a path, keeping any path prefix the base already has. */
export function joinUrl(baseUrl: string, path: string): URL {
  return new URL(baseUrl.replace(/\/+$/, "") + path);
}
