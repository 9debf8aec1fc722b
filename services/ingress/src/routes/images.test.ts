import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB_ID_PATTERN, type JobSubmitted } from "@switchyard/contracts";
import { createUrlSigner } from "../artifacts/signed-urls.js";
import {
  AUTH_A,
  KEY_B,
  PNG_BYTES,
  chatBody,
  chatCompletion,
  createHarness,
  testConfig,
  type Harness,
  type Reaction,
} from "../test-support/harness.js";

let h: Harness;
/** Reactions by prompt; anything else draws `n` PNGs. */
const scripts = new Map<string, (job: JobSubmitted) => Reaction>();

beforeAll(async () => {
  h = await createHarness({ PUBLIC_URL: "https://images.example.com/" });
  h.worker.react = (job) => scripts.get(String(job.request["prompt"]))?.(job) ?? { images: {} };
});
afterAll(async () => {
  await h.close();
});

function generate(body: Record<string, unknown>, headers: Record<string, string> = AUTH_A) {
  return h.app.inject({ method: "POST", url: "/v1/images/generations", headers, payload: body });
}

/** A URL the app answered, as a path for inject (no Authorization header: a browser loads it). */
function fetchPath(path: string) {
  return h.app.inject({ method: "GET", url: path });
}

function jobOf(id: string): JobSubmitted | undefined {
  return h.worker.jobs.find((job) => job.id === id);
}

describe("POST /v1/images/generations", () => {
  it("answers gpt-image models with b64_json read from the artifact store", async () => {
    scripts.set("two", () => ({ images: { count: 2, revisedPrompt: "a lighthouse, at dusk" } }));
    const res = await generate({ model: "gpt-image-1", prompt: "two", n: 2 });
    expect(res.statusCode).toBe(200);
    const id = String(res.headers["x-request-id"]);
    expect(id).toMatch(JOB_ID_PATTERN);
    const b64 = PNG_BYTES.toString("base64");
    expect(res.json()).toEqual({
      created: 1719168000,
      data: [
        { b64_json: b64, revised_prompt: "a lighthouse, at dusk" },
        { b64_json: b64, revised_prompt: "a lighthouse, at dusk" },
      ],
      output_format: "png",
      quality: "high",
      size: "1024x1024",
      usage: { input_tokens: 5, output_tokens: 10, total_tokens: 15 },
    });
    expect(jobOf(id)).toMatchObject({ kind: "image", family: "openai", model: "gpt-image-1", tenant: "tenant-a" });
    expect(jobOf(id)?.request).toEqual({ model: "gpt-image-1", prompt: "two", n: 2 });
  });

  it("defaults to the catalog's first image model", async () => {
    const res = await generate({ prompt: "a cat" });
    expect(res.statusCode).toBe(200);
    const job = jobOf(String(res.headers["x-request-id"]));
    expect(job).toMatchObject({ model: "gpt-image-1", kind: "image" });
    expect(job?.request["model"]).toBe("gpt-image-1");
    expect(res.json().data).toHaveLength(1);
  });

  it("answers url with absolute, signed, expiring links that serve the bytes without a key", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await generate({ model: "gpt-image-1", prompt: "as link", response_format: "url" });
    expect(res.statusCode).toBe(200);
    const id = String(res.headers["x-request-id"]);
    const { data } = res.json() as { data: { url: string }[] };
    const url = new URL(data[0]!.url);
    expect(url.origin).toBe("https://images.example.com");
    expect(url.pathname).toBe(`/v1/images/files/${id}/0.png`);
    const expires = Number(url.searchParams.get("expires"));
    expect(expires - before).toBeGreaterThanOrEqual(3599);
    expect(expires - before).toBeLessThanOrEqual(3601);
    expect(url.searchParams.get("signature")).toMatch(/^[0-9a-f]{64}$/);

    const file = await fetchPath(`${url.pathname}${url.search}`);
    expect(file.statusCode).toBe(200);
    expect(file.headers["content-type"]).toBe("image/png");
    expect(file.headers["content-length"]).toBe(String(PNG_BYTES.length));
    expect(file.headers["cache-control"]).toMatch(/^private, max-age=(359\d|3600), immutable$/);
    expect(file.headers["x-content-type-options"]).toBe("nosniff");
    expect(file.rawPayload.equals(PNG_BYTES)).toBe(true);
  });

  it("takes the link's origin from the request without PUBLIC_URL, and serves it over a real socket", async () => {
    const other = await createHarness();
    other.worker.react = () => ({ images: {} });
    try {
      const base = await other.listen();
      const res = await fetch(`${base}/v1/images/generations`, {
        method: "POST",
        headers: { ...AUTH_A, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "a boat", response_format: "url" }),
      });
      const { data } = (await res.json()) as { data: { url: string }[] };
      expect(new URL(data[0]!.url).origin).toBe(base);
      const file = await fetch(data[0]!.url);
      expect(file.status).toBe(200);
      expect(file.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await file.arrayBuffer()).equals(PNG_BYTES)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("400s a model of another kind, 404s an unknown one, 400s a bad body naming the field", async () => {
    const chat = await generate({ model: "gpt-4o-mini", prompt: "x" });
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error).toMatchObject({ type: "invalid_request_error", param: "model" });
    const unknown = await generate({ model: "dall-e-9", prompt: "x" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe("model_not_found");
    const missing = await generate({ model: "gpt-image-1" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ param: "prompt", code: "missing_required_parameter" });
    const format = await generate({ prompt: "x", response_format: "gif" });
    expect(format.statusCode).toBe(400);
    expect(format.json().error.param).toBe("response_format");
  });

  it("renders a failed image job as the envelope of its error", async () => {
    scripts.set("refused", () => ({
      failed: {
        message: "Your request was rejected by the safety system.",
        type: "invalid_request_error",
        code: "content_policy_violation",
        param: null,
        status: 400,
      },
    }));
    const res = await generate({ prompt: "refused" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      message: "Your request was rejected by the safety system.",
      type: "invalid_request_error",
      param: null,
      code: "content_policy_violation",
    });
  });

  it("never hands out a file of another job, whatever the worker's result names", async () => {
    const victim = await generate({ prompt: "victim", response_format: "url" });
    const victimId = String(victim.headers["x-request-id"]);
    scripts.set("thief", () => ({ images: { artifactName: () => `${victimId}/0.png` } }));
    for (const format of ["b64_json", "url"]) {
      const res = await generate({ prompt: "thief", response_format: format }, { authorization: `Bearer ${KEY_B}` });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe("invalid_result");
      expect(res.body).not.toContain(PNG_BYTES.toString("base64"));
    }
  });
});

describe("GET /v1/images/files/*", () => {
  let link: URL;
  beforeAll(async () => {
    const res = await generate({ prompt: "for links", response_format: "url" });
    link = new URL((res.json() as { data: { url: string }[] }).data[0]!.url);
  });

  const expectNotFound = async (path: string) => {
    const res = await fetchPath(path);
    expect(res.statusCode).toBe(404);
    expect(res.headers["x-request-id"]).toMatch(/^req_/);
    expect(res.json()).toEqual({
      error: {
        message: "The file does not exist or its link has expired.",
        type: "invalid_request_error",
        param: null,
        code: "not_found",
      },
    });
  };

  it("404s a tampered, foreign, missing or repeated signature", async () => {
    const tampered = new URL(link);
    tampered.searchParams.set("signature", "0".repeat(64));
    await expectNotFound(`${tampered.pathname}${tampered.search}`);
    const upper = new URL(link);
    upper.searchParams.set("signature", link.searchParams.get("signature")!.toUpperCase());
    await expectNotFound(`${upper.pathname}${upper.search}`);
    await expectNotFound(link.pathname);
    await expectNotFound(`${link.pathname}?expires=${link.searchParams.get("expires")}`);
    await expectNotFound(`${link.pathname}${link.search}&signature=${link.searchParams.get("signature")}`);
    // The same signature on another file (another job's, another tenant's) is worth nothing.
    const moved = link.pathname.replace(/\/0\.png$/, "/1.png");
    await expectNotFound(`${moved}${link.search}`);
  });

  it("404s an expired link, even correctly signed, and a later expiry under the old signature", async () => {
    const signer = createUrlSigner(testConfig(h.names).signingSecret);
    const name = link.pathname.slice("/v1/images/files/".length);
    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = new URL(signer.url("http://x", name, past));
    await expectNotFound(`${expired.pathname}${expired.search}`);
    const extended = new URL(link);
    extended.searchParams.set("expires", String(Number(link.searchParams.get("expires")) + 3600));
    await expectNotFound(`${extended.pathname}${extended.search}`);
  });

  it("404s a correctly signed link to a file that is not stored", async () => {
    const signer = createUrlSigner(testConfig(h.names).signingSecret);
    const gone = new URL(
      signer.url("http://x", "job_000000000000000000000000/0.png", Math.floor(Date.now() / 1000) + 60),
    );
    await expectNotFound(`${gone.pathname}${gone.search}`);
  });

  it("serves a stored file of another type as a download, never as a page of this origin", async () => {
    const signer = createUrlSigner(testConfig(h.names).signingSecret);
    await h.artifacts.put("job_html/0.html", new TextEncoder().encode("<script>x</script>"), "text/html");
    const url = new URL(signer.url("http://x", "job_html/0.html", Math.floor(Date.now() / 1000) + 60));
    const res = await fetchPath(`${url.pathname}${url.search}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/octet-stream");
  });
});

describe("an Idempotency-Key sent to chat and to images", () => {
  it("refuses with a 422 a key whose job is of the other kind, rather than answer that job's result", async () => {
    const draw = h.worker.react;
    h.worker.react = (job) =>
      job.kind === "chat" ? { completed: chatCompletion(job.model, "a chat answer") } : draw(job);
    try {
      const chat = (key: string, extra: Record<string, unknown> = {}) =>
        h.app.inject({
          method: "POST",
          url: "/v1/chat/completions",
          headers: { ...AUTH_A, "idempotency-key": key },
          payload: chatBody(extra),
        });
      const reused = (res: { statusCode: number; json(): { error: { code: string; type: string } } }) => {
        expect(res.statusCode).toBe(422);
        expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "idempotency_key_reused" });
      };

      const chatFirst = `chat-then-image-${Date.now()}`;
      expect((await chat(chatFirst)).statusCode).toBe(200);
      reused(await generate({ prompt: "a fox" }, { ...AUTH_A, "idempotency-key": chatFirst }));

      const imageFirst = `image-then-chat-${Date.now()}`;
      expect((await generate({ prompt: "a fox" }, { ...AUTH_A, "idempotency-key": imageFirst })).statusCode).toBe(200);
      reused(await chat(imageFirst));
      reused(await chat(imageFirst, { stream: true }));
    } finally {
      h.worker.react = draw;
    }
  });
});
