import { describe, expect, it } from "vitest";
import { createUrlSigner } from "./signed-urls.js";

describe("createUrlSigner", () => {
  const signer = createUrlSigner("k".repeat(32));
  const now = 1_719_168_000;

  it("signs name and expiry together, and checks both and the clock", () => {
    const signature = signer.sign("job_a/0.png", now + 60);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signer.verify("job_a/0.png", String(now + 60), signature, now)).toBe(true);
    expect(signer.verify("job_a/0.png", String(now + 60), signature, now + 61)).toBe(false);
    expect(signer.verify("job_b/0.png", String(now + 60), signature, now)).toBe(false);
    expect(signer.verify("job_a/0.png", String(now + 61), signature, now)).toBe(false);
    expect(signer.verify("job_a/0.png", undefined, signature, now)).toBe(false);
    expect(signer.verify("job_a/0.png", String(now + 60), undefined, now)).toBe(false);
    expect(signer.verify("job_a/0.png", String(now + 60), signature.slice(2), now)).toBe(false);
    expect(signer.verify("job_a/0.png", `${now + 60}.0`, signature, now)).toBe(false);
    expect(createUrlSigner("x".repeat(32)).verify("job_a/0.png", String(now + 60), signature, now)).toBe(false);
  });

  it("builds absolute links that round-trip", () => {
    const url = new URL(signer.url("https://api.example.com", "job_a/0.png", now + 60));
    expect(url.origin + url.pathname).toBe("https://api.example.com/v1/images/files/job_a/0.png");
    expect(url.searchParams.get("expires")).toBe(String(now + 60));
    expect(
      signer.verify("job_a/0.png", url.searchParams.get("expires")!, url.searchParams.get("signature")!, now),
    ).toBe(true);
  });
});
