import { describe, expect, it } from "vitest";
import { DEV_WEBHOOK_SECRET, loadConfig } from "./config.js";
import { decodeSecret } from "./signing.js";

const ACME = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
const GLOBEX = `whsec_${Buffer.alloc(24, 2).toString("base64")}`;

describe("loadConfig", () => {
  it("has defaults for everything, and in development signs tenant dev's webhooks with a fixed secret", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      natsServers: ["nats://127.0.0.1:4222"],
      namespace: "",
      env: "development",
      devSecretActive: true,
      allowPrivate: false,
      maxAttempts: 8,
      backoffBaseMs: 1_000,
      backoffMaxMs: 300_000,
      timeoutMs: 10_000,
      concurrency: 64,
    });
    expect([...config.secrets]).toEqual([["dev", DEV_WEBHOOK_SECRET]]);
    expect(DEV_WEBHOOK_SECRET).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(() => decodeSecret(DEV_WEBHOOK_SECRET)).not.toThrow();
    expect(loadConfig({}).secrets.get("dev")).toBe(DEV_WEBHOOK_SECRET);
  });

  it("reads the tenants' secrets, and then has no dev secret", () => {
    const config = loadConfig({ SWITCHYARD_WEBHOOK_SECRETS: ` acme=${ACME} , globex=${GLOBEX},` });
    expect(config.devSecretActive).toBe(false);
    expect([...config.secrets]).toEqual([
      ["acme", ACME],
      ["globex", GLOBEX],
    ]);
  });

  it("takes a secret for every tenant name the ingress accepts, and for no other", () => {
    const config = loadConfig({ SWITCHYARD_WEBHOOK_SECRETS: `_ops=${ACME},-team_2=${GLOBEX}` });
    expect([...config.secrets.keys()]).toEqual(["_ops", "-team_2"]);
    expect(() => loadConfig({ SWITCHYARD_WEBHOOK_SECRETS: `acme.eu=${ACME}` })).toThrow(
      /entry 1: the tenant must match/,
    );
  });

  it("starts in production without secrets (webhooks then give up), and never with the dev secret", () => {
    const config = loadConfig({ SWITCHYARD_ENV: "production" });
    expect(config.devSecretActive).toBe(false);
    expect(config.secrets.size).toBe(0);
  });

  it("parses booleans explicitly", () => {
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: "false" }).allowPrivate).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: "0" }).allowPrivate).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: "TRUE" }).allowPrivate).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: "yes" }).allowPrivate).toBe(true);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: "maybe" })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
  });

  it("lists every problem at once, naming secrets only by position and tenant", () => {
    let message = "";
    try {
      loadConfig({
        SWITCHYARD_WEBHOOK_SECRETS: `acme=${ACME},globex=not-a-secret,acme=${GLOBEX},nobody`,
        WEBHOOK_MAX_ATTEMPTS: "0",
        WEBHOOK_BACKOFF_BASE_MS: "5000",
        WEBHOOK_BACKOFF_MAX_MS: "10",
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WEBHOOK_MAX_ATTEMPTS/);
    expect(message).toMatch(/entry 2 \(tenant globex\): a webhook secret starts with whsec_/);
    expect(message).toMatch(/entry 3 repeats tenant acme/);
    expect(message).toMatch(/entry 4 is not of the form tenant=whsec_/);
    expect(message).not.toContain("not-a-secret");
    expect(message).not.toContain(GLOBEX);
  });

  it("reports a maximum backoff below the base", () => {
    expect(() => loadConfig({ WEBHOOK_BACKOFF_BASE_MS: "5000", WEBHOOK_BACKOFF_MAX_MS: "10" })).toThrow(
      /WEBHOOK_BACKOFF_MAX_MS must not be below/,
    );
  });
});
