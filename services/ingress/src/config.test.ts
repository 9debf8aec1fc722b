import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEV_API_KEY, devSigningSecret, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("has working defaults for development, including the dev key", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      natsServers: ["nats://127.0.0.1:4222"],
      namespace: "",
      env: "development",
      devKeyActive: true,
      requestTimeoutMs: 120_000,
      bodyLimitBytes: 10 * 1024 * 1024,
      publicUrl: undefined,
      log: false,
    });
    expect(config.apiKeys.get(DEV_API_KEY)).toBe("dev");
    expect(existsSync(config.catalogPath)).toBe(true);
    expect(config.catalogPath.endsWith("config/catalog.yaml")).toBe(true);
  });

  it("parses key=tenant pairs and then offers no dev key", () => {
    const config = loadConfig({
      SWITCHYARD_API_KEYS: " sk-a=tenant-a, sk-b = tenant-b ,",
      SWITCHYARD_ENV: "production",
      SIGNING_SECRET: "s".repeat(32),
    });
    expect([...config.apiKeys]).toEqual([
      ["sk-a", "tenant-a"],
      ["sk-b", "tenant-b"],
    ]);
    expect(config.devKeyActive).toBe(false);
  });

  it("refuses production without keys", () => {
    expect(() => loadConfig({ SWITCHYARD_ENV: "production" })).toThrow(/SWITCHYARD_API_KEYS/);
  });

  it("reports bad entries without echoing the secrets", () => {
    let message = "";
    try {
      loadConfig({ SWITCHYARD_API_KEYS: "sk-secret-one,sk-two=bad tenant,sk-two=x,sk-two=y" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/entry 1 is not of the form key=tenant/);
    expect(message).toMatch(/entry 2: the tenant/);
    expect(message).toMatch(/entry 4 repeats a key/);
    expect(message).not.toContain("sk-secret-one");
  });

  it("parses booleans explicitly and numbers strictly", () => {
    expect(loadConfig({ INGRESS_LOG: "false" }).log).toBe(false);
    expect(loadConfig({ INGRESS_LOG: "TRUE" }).log).toBe(true);
    expect(() => loadConfig({ INGRESS_LOG: "maybe" })).toThrow(/INGRESS_LOG/);
    expect(() => loadConfig({ INGRESS_PORT: "70000" })).toThrow(/INGRESS_PORT/);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: "0" })).toThrow(/REQUEST_TIMEOUT_MS/);
    expect(loadConfig({ INGRESS_PORT: "0" }).port).toBe(0);
    expect(loadConfig({ INGRESS_PORT: "" }).port).toBe(8080);
  });

  it("reads the rest", () => {
    const config = loadConfig({
      NATS_URL: "nats://a:4222, nats://b:4222",
      SWITCHYARD_NAMESPACE: "t1",
      PUBLIC_URL: "https://api.example.com/",
      BODY_LIMIT_BYTES: "1024",
      REQUEST_TIMEOUT_MS: "500",
    });
    expect(config.natsServers).toEqual(["nats://a:4222", "nats://b:4222"]);
    expect(config.namespace).toBe("t1");
    expect(config.publicUrl).toBe("https://api.example.com");
    expect(config.bodyLimitBytes).toBe(1024);
    expect(config.requestTimeoutMs).toBe(500);
    expect(() => loadConfig({ SWITCHYARD_NAMESPACE: "Bad.NS" })).toThrow(/SWITCHYARD_NAMESPACE/);
    expect(() => loadConfig({ PUBLIC_URL: "not a url" })).toThrow(/PUBLIC_URL/);
  });

  it("signs links with SIGNING_SECRET, or in development with a fixed key all processes share", () => {
    const dev = loadConfig({ SWITCHYARD_NAMESPACE: "ns1" });
    expect(dev).toMatchObject({ devSigningSecretActive: true, imageUrlTtlS: 3600, streamKeepAliveMs: 15_000 });
    expect(dev.signingSecret).toBe(devSigningSecret("ns1"));
    expect(loadConfig({ SWITCHYARD_NAMESPACE: "ns1" }).signingSecret).toBe(dev.signingSecret);
    expect(loadConfig({ SWITCHYARD_NAMESPACE: "ns2" }).signingSecret).not.toBe(dev.signingSecret);

    const set = loadConfig({ SIGNING_SECRET: "k".repeat(40), IMAGE_URL_TTL_S: "60", STREAM_KEEPALIVE_MS: "500" });
    expect(set).toMatchObject({ signingSecret: "k".repeat(40), devSigningSecretActive: false, imageUrlTtlS: 60 });
    expect(set.streamKeepAliveMs).toBe(500);
    expect(() => loadConfig({ SIGNING_SECRET: "short" })).toThrow(/SIGNING_SECRET/);
    expect(() => loadConfig({ SWITCHYARD_ENV: "production", SWITCHYARD_API_KEYS: "k=t" })).toThrow(
      /SIGNING_SECRET must be set in production/,
    );
  });
  it("reads the tracked-job settings", () => {
    expect(loadConfig({})).toMatchObject({
      asyncJobTtlMs: 24 * 3600_000,
      webhookAllowPrivate: false,
      videoInputMaxBytes: 20 * 1024 * 1024,
    });
    expect(
      loadConfig({ ASYNC_JOB_TTL_MS: "60000", WEBHOOK_ALLOW_PRIVATE: "TRUE", VIDEO_INPUT_MAX_BYTES: "1024" }),
    ).toMatchObject({ asyncJobTtlMs: 60_000, webhookAllowPrivate: true, videoInputMaxBytes: 1024 });
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: "sometimes" })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
    expect(() => loadConfig({ ASYNC_JOB_TTL_MS: "0" })).toThrow(/ASYNC_JOB_TTL_MS/);
    // A job must not outlive its own record (kept 7 days after its last write).
    expect(() => loadConfig({ ASYNC_JOB_TTL_MS: String(5 * 24 * 3600_000) })).toThrow(/ASYNC_JOB_TTL_MS/);
  });

  it("refuses tenant names that cannot be KV key and subject tokens", () => {
    expect([...loadConfig({ SWITCHYARD_API_KEYS: "sk-a=Team_1-x" }).apiKeys.values()]).toEqual(["Team_1-x"]);
    for (const tenant of ["a.b", "a*", "a>", "a:b", "a/b", "ü", "x".repeat(65)]) {
      expect(() => loadConfig({ SWITCHYARD_API_KEYS: `sk-a=${tenant}` }), tenant).toThrow(/entry 1: the tenant/);
    }
  });
});
