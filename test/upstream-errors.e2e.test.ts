import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { randomId } from "@switchyard/contracts";
import { DEV_KEY, startStack, type Stack } from "./support/stack.js";
import { expectApiError } from "./support/api-error.js";

// An upstream that refuses the client's request: the client sees what the upstream said, in
// OpenAI's error shape, whatever the upstream's dialect; the broker's own key troubles stay
// generic. The official openai client → ingress → worker → simulated upstream over HTTP.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ families: ["openai", "anthropic", "gemini"] });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const marker = (): string => `m${randomId(12)}`;
const OPENAI_OVERFLOW =
  "This model's maximum context length is 128000 tokens. However, your messages resulted in 135012 tokens. Please reduce the length of the messages.";

const ask = (model: string, m: string) =>
  stack.openai.chat.completions.create({ model, messages: [{ role: "user", content: `hi ${m}` }] });

async function overflowFromOpenAI(m: string): Promise<void> {
  await stack.fault({
    match: m,
    status: 400,
    message: OPENAI_OVERFLOW,
    error_type: "invalid_request_error",
    error_code: "context_length_exceeded",
    error_param: "messages",
  });
}

describe("an upstream rejection of the client's request", () => {
  it("reaches the openai client as BadRequestError with the upstream's code, param and message, tried once", async () => {
    const m = marker();
    await overflowFromOpenAI(m);
    const error = await expectApiError(ask("gpt-4o-mini", m));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: "context_length_exceeded",
      param: "messages",
      type: "invalid_request_error",
    });
    expect(error.error).toMatchObject({ message: OPENAI_OVERFLOW });
    expect(error.message).toBe(`400 ${OPENAI_OVERFLOW}`);
    // Not retryable and no fallback: gpt-4o-mini has a second route, which is never asked.
    expect(await stack.upstreamRequests(m)).toBe(1);

    // The ledger's attempt keeps the upstream's real status next to the same code.
    const jobId = error.headers?.get("x-request-id");
    const [attempt] = await stack.waitForRows<{ http_status: number; error_code: string; error_message: string }>(
      "select http_status, error_code, error_message from attempts where job_id = $1",
      [jobId],
      (rows) => rows.length === 1,
    );
    expect(attempt).toEqual({
      http_status: 400,
      error_code: "context_length_exceeded",
      error_message: OPENAI_OVERFLOW,
    });
  });

  it("is the same HTTP error for a stream that fails before its first token", async () => {
    const m = marker();
    await overflowFromOpenAI(m);
    const error = await expectApiError(
      (async () => {
        const stream = await stack.openai.chat.completions.create({
          model: "gpt-4o-mini",
          stream: true,
          messages: [{ role: "user", content: `hi ${m}` }],
        });
        for await (const chunk of stream) void chunk;
      })(),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ code: "context_length_exceeded", param: "messages" });
    expect(error.error).toMatchObject({ message: OPENAI_OVERFLOW });
  });

  it("is the job's error in the job API", async () => {
    const m = marker();
    await overflowFromOpenAI(m);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${stack.ingressUrl}${path}`, {
        ...init,
        headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` },
      });
    const created = (await (
      await api("/v1/jobs", {
        method: "POST",
        body: JSON.stringify({
          type: "chat.completion",
          body: { model: "gpt-4o-mini", messages: [{ role: "user", content: `hi ${m}` }] },
        }),
      })
    ).json()) as { id: string };
    const deadline = Date.now() + 20_000;
    let job: { status: string; error: unknown } = { status: "queued", error: null };
    while (job.status !== "failed" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await api(`/v1/jobs/${created.id}`)).json()) as typeof job;
    }
    expect(job).toMatchObject({
      status: "failed",
      error: {
        message: OPENAI_OVERFLOW,
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      },
    });
  });

  it.each([
    ["claude-sonnet-4-5", "prompt is too long: 210000 tokens > 200000 maximum"],
    ["gemini-2.5-flash", "The input token count (1310720) exceeds the maximum number of tokens allowed (1048576)."],
  ])("from %s's dialect is named context_length_exceeded as OpenAI names it", async (model, message) => {
    const m = marker();
    await stack.fault({ match: m, status: 400, message });
    const error = await expectApiError(ask(model, m));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ code: "context_length_exceeded", param: "messages", type: "invalid_request_error" });
    expect(error.error).toMatchObject({ message });
  });
});

describe("an upstream rejection of the broker's own key", () => {
  it("stays a generic 502 that never shows the upstream's words about the key", async () => {
    const m = marker();
    const message =
      "Incorrect API key provided: sk-ab***************************xyz. You can find your API key at https://platform.openai.com/account/api-keys.";
    await stack.fault({ match: m, status: 401, message, error_code: "invalid_api_key" });
    const error = await expectApiError(ask("gpt-4o-mini", m));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 502, code: "upstream_rejected", param: null, type: "server_error" });
    expect(JSON.stringify(error.error)).not.toMatch(/sk-|\*\*\*|xyz|Incorrect API key/);
  });
});
