import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_A, createHarness, type Harness } from "../test-support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe("GET /v1/models", () => {
  it("lists the catalog as OpenAI model objects with kind and family", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/models", headers: AUTH_A });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["x-request-id"]).toMatch(/^req_[0-9A-Za-z]{24}$/);
    expect(res.json()).toEqual({
      object: "list",
      data: [
        { id: "gpt-4o-mini", object: "model", created: 1721172741, owned_by: "openai", kind: "chat", family: "openai" },
        {
          id: "acme/llama-3.1-8b",
          object: "model",
          created: 1721000000,
          owned_by: "acme",
          kind: "chat",
          family: "openai",
        },
        {
          id: "gpt-image-1",
          object: "model",
          created: 1745000000,
          owned_by: "openai",
          kind: "image",
          family: "openai",
        },
      ],
    });
  });

  it("gets one model, ids with slashes and dots included", async () => {
    const one = await h.app.inject({ method: "GET", url: "/v1/models/gpt-4o-mini", headers: AUTH_A });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: "gpt-4o-mini", object: "model", owned_by: "openai" });
    const slashed = await h.app.inject({ method: "GET", url: "/v1/models/acme/llama-3.1-8b", headers: AUTH_A });
    expect(slashed.statusCode).toBe(200);
    expect(slashed.json()).toMatchObject({ id: "acme/llama-3.1-8b" });
  });

  it("answers 404 model_not_found for an unknown id", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/models/nope", headers: AUTH_A });
    expect(res.statusCode).toBe(404);
    expect(res.headers["x-request-id"]).toMatch(/^req_/);
    expect(res.json()).toEqual({
      error: {
        message: "The model 'nope' does not exist or you do not have access to it.",
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    });
  });
});
