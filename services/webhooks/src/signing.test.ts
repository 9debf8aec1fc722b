import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { WebhookVerificationError, decodeSecret, signWebhook, verifyWebhook, webhookHeaders } from "./signing.js";

// The example of the Standard Webhooks specification (standard-webhooks/spec, "Signature scheme").
const SPEC = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("signWebhook", () => {
  it("matches the Standard Webhooks specification's example", () => {
    expect(signWebhook(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it("puts the id, this attempt's timestamp and the signature in the headers", () => {
    expect(webhookHeaders(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toEqual({
      "content-type": "application/json",
      "webhook-id": SPEC.id,
      "webhook-timestamp": "1614265330",
      "webhook-signature": SPEC.signature,
    });
    const later = webhookHeaders(SPEC.secret, SPEC.id, SPEC.timestamp + 60, SPEC.body);
    expect(later["webhook-id"]).toBe(SPEC.id);
    expect(later["webhook-signature"]).not.toBe(SPEC.signature);
  });

  it("refuses secrets that are not whsec_ and 24 to 64 bytes of base64", () => {
    expect(decodeSecret(SPEC.secret)).toHaveLength(24);
    expect(() => decodeSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toThrow(/starts with whsec_/);
    expect(() => decodeSecret("whsec_not base64!")).toThrow(/base64/);
    expect(() => decodeSecret(`whsec_${Buffer.alloc(16).toString("base64")}`)).toThrow(/24 to 64 bytes/);
    expect(() => decodeSecret(`whsec_${Buffer.alloc(65).toString("base64")}`)).toThrow(/24 to 64 bytes/);
  });
});

describe("verifyWebhook", () => {
  const headers = {
    "webhook-id": SPEC.id,
    "webhook-timestamp": String(SPEC.timestamp),
    "webhook-signature": SPEC.signature,
  };
  const now = SPEC.timestamp + 10;

  it("accepts the specification's example, alone or among other signatures", () => {
    expect(() => verifyWebhook(SPEC.secret, headers, SPEC.body, { now })).not.toThrow();
    const rotated = { ...headers, "webhook-signature": `v1,bm90IGl0 v2,whatever ${SPEC.signature}` };
    expect(() => verifyWebhook(SPEC.secret, rotated, SPEC.body, { now })).not.toThrow();
  });

  it.each([
    ["a changed body", SPEC.secret, headers, '{"test": 2432232315}'],
    ["another secret", `whsec_${Buffer.alloc(24, 7).toString("base64")}`, headers, SPEC.body],
    ["another id", SPEC.secret, { ...headers, "webhook-id": "msg_other" }, SPEC.body],
    ["a changed timestamp", SPEC.secret, { ...headers, "webhook-timestamp": String(SPEC.timestamp + 1) }, SPEC.body],
    [
      "an unknown version",
      SPEC.secret,
      { ...headers, "webhook-signature": SPEC.signature.replace("v1", "v2") },
      SPEC.body,
    ],
  ])("rejects %s", (_what, secret, received, body) => {
    expect(() => verifyWebhook(secret, received, body, { now })).toThrow(WebhookVerificationError);
  });

  it("rejects missing headers and timestamps outside the tolerance", () => {
    expect(() => verifyWebhook(SPEC.secret, { ...headers, "webhook-id": undefined }, SPEC.body, { now })).toThrow(
      /missing/,
    );
    expect(() => verifyWebhook(SPEC.secret, headers, SPEC.body, { now: SPEC.timestamp + 301 })).toThrow(/tolerance/);
    expect(() => verifyWebhook(SPEC.secret, headers, SPEC.body, { now: SPEC.timestamp - 301 })).toThrow(/tolerance/);
    expect(() =>
      verifyWebhook(SPEC.secret, headers, SPEC.body, { now: SPEC.timestamp + 3600, toleranceSeconds: 3600 }),
    ).not.toThrow();
  });
});

describe("interoperability", () => {
  it("signs what the official openai client's webhook verification accepts", async () => {
    const secret = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;
    const body = JSON.stringify({ id: "evt_1", object: "event", type: "job.completed", created_at: 1, data: {} });
    const headers = webhookHeaders(secret, "evt_1", Math.floor(Date.now() / 1000), body);
    const client = new OpenAI({ apiKey: "unused", webhookSecret: secret });
    await expect(client.webhooks.verifySignature(body, headers)).resolves.toBeUndefined();
    await expect(client.webhooks.verifySignature(`${body} `, headers)).rejects.toThrow();
  });
});
