import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";

let h: Harness;
let port: number;

beforeAll(async () => {
  h = await createHarness();
  port = Number(new URL(await h.listen()).port);
});
afterAll(async () => {
  await h?.close();
});

/** Sends raw bytes (what no HTTP client would send) and reads the answer until the server closes. */
function rawRequest(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.end(bytes);
  });
}

describe("requests Node's HTTP parser refuses", () => {
  it.each([
    [
      "a control character in a header",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0001b\r\n\r\n",
    ],
    ["a malformed request line", "GET /v1/models HTTP/9\r\n\r\n"],
  ])("answer %s with a 400 in the OpenAI envelope and an x-request-id", async (_name, bytes) => {
    const answer = await rawRequest(bytes);
    const [head = "", body = ""] = answer.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toMatch(/\r\nx-request-id: req_[A-Za-z0-9]+/);
    expect(JSON.parse(body)).toEqual({
      error: {
        message: expect.any(String) as string,
        type: "invalid_request_error",
        param: null,
        code: "invalid_http_request",
      },
    });
  });

  it("answers headers over Node's size limit with a 431 in the envelope", async () => {
    const answer = await rawRequest(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(answer.split("\r\n\r\n")[1] ?? "")).toMatchObject({ error: { code: "invalid_http_request" } });
  });
});
