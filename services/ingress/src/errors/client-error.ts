import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ErrorEnvelope } from "@switchyard/contracts";
import { REQUEST_ID_HEADER, generateRequestId } from "../request-id.js";

/**
 * Fastify's `clientErrorHandler`: answers a request Node's HTTP parser refused before Fastify
 * saw it (a control character in a header, a malformed request line, headers over the size
 * limit, a request that took too long to arrive). Fastify's default answer is not the OpenAI
 * envelope and carries no `x-request-id`; this one does both, and then closes the connection
 * as Fastify and Node do, since what follows on it cannot be parsed.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "The request did not arrive in time."]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "The request headers are too large."]
        : [400, "The request is not valid HTTP (a malformed request line or header)."];
  const body = JSON.stringify({
    error: { message, type: "invalid_request_error", param: null, code: "invalid_http_request" },
  } satisfies ErrorEnvelope);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        "Content-Type: application/json\r\n" +
        `${REQUEST_ID_HEADER}: ${generateRequestId()}\r\n` +
        "Connection: close\r\n\r\n" +
        body,
    );
  }
  socket.destroy(error);
}
