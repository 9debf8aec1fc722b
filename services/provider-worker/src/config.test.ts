import { describe, expect, it } from "vitest";
import { defaultConcurrency, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("takes the family from --family and applies the defaults", () => {
    const config = loadConfig({}, ["--family", "openai"]);
    expect(config).toMatchObject({
      family: "openai",
      natsServers: ["nats://127.0.0.1:4222"],
      namespace: "",
      concurrency: null,
      maxAttemptsPerRoute: 3,
      backoffBaseMs: 200,
      backoffMaxMs: 5000,
      maxRetryAfterMs: 10_000,
      maxDeliver: 5,
      ackWaitMs: 30_000,
      streamWindow: 64,
      streamStallMs: 30_000,
      videoPollMs: 1000,
      startedHoldMs: 100,
      logJobs: false,
    });
    expect(config.catalogPath).toMatch(/config\/catalog\.yaml$/);
  });

  it("reads WORKER_FAMILY, lets --family win, and treats empty variables as unset", () => {
    expect(loadConfig({ WORKER_FAMILY: "gemini" }, []).family).toBe("gemini");
    expect(loadConfig({ WORKER_FAMILY: "gemini" }, ["--family=anthropic"]).family).toBe("anthropic");
    expect(loadConfig({ WORKER_FAMILY: "openai", WORKER_CONCURRENCY: "" }, []).concurrency).toBeNull();
  });

  it("parses numbers, server lists and booleans explicitly", () => {
    const config = loadConfig(
      {
        WORKER_FAMILY: "openai",
        NATS_URL: "nats://a:4222, nats://b:4222",
        SWITCHYARD_NAMESPACE: "t1",
        WORKER_CONCURRENCY: "8",
        WORKER_ACK_WAIT_MS: "1500",
        WORKER_STREAM_WINDOW: "16",
        WORKER_STREAM_STALL_MS: "5000",
        WORKER_VIDEO_POLL_MS: "2500",
        WORKER_STARTED_HOLD_MS: "0",
        WORKER_LOG_JOBS: "TRUE",
      },
      [],
    );
    expect(config).toMatchObject({
      natsServers: ["nats://a:4222", "nats://b:4222"],
      namespace: "t1",
      concurrency: 8,
      ackWaitMs: 1500,
      streamWindow: 16,
      streamStallMs: 5000,
      videoPollMs: 2500,
      startedHoldMs: 0,
      logJobs: true,
    });
    expect(loadConfig({ WORKER_FAMILY: "openai", WORKER_LOG_JOBS: "false" }, []).logJobs).toBe(false);
  });

  it("gives a video family many more job slots when WORKER_CONCURRENCY is unset", () => {
    expect(defaultConcurrency(["chat", "chat"])).toBe(256);
    expect(defaultConcurrency(["image"])).toBe(256);
    expect(defaultConcurrency(["video"])).toBe(1000);
  });

  it("lists every problem", () => {
    expect(() => loadConfig({ WORKER_CONCURRENCY: "lots", WORKER_LOG_JOBS: "maybe" }, [])).toThrow(
      /WORKER_CONCURRENCY[\s\S]*WORKER_LOG_JOBS/,
    );
    expect(() => loadConfig({}, [])).toThrow("no family");
    expect(() => loadConfig({ WORKER_FAMILY: "Open AI" }, [])).toThrow("WORKER_FAMILY");
    expect(() => loadConfig({}, ["--famly", "openai"])).toThrow(/famly/);
    expect(() => loadConfig({ WORKER_FAMILY: "openai", WORKER_STREAM_WINDOW: "0" }, [])).toThrow(
      "WORKER_STREAM_WINDOW",
    );
    expect(() => loadConfig({ WORKER_FAMILY: "openai", WORKER_BACKOFF_BASE_MS: "9000" }, [])).toThrow(
      "must not exceed",
    );
  });
});
