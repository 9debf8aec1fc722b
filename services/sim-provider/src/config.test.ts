import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("has defaults for everything", () => {
    expect(loadConfig({})).toEqual({
      host: "127.0.0.1",
      port: 8090,
      latencyMs: 0,
      log: false,
      requireKey: undefined,
      videoMs: 3000,
    });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      SIM_HOST: "0.0.0.0",
      SIM_PORT: "0",
      SIM_LATENCY_MS: "25",
      SIM_LOG: "TRUE",
      SIM_REQUIRE_KEY: "sk-test",
      SIM_VIDEO_MS: "150",
    });
    expect(config).toEqual({ host: "0.0.0.0", port: 0, latencyMs: 25, log: true, requireKey: "sk-test", videoMs: 150 });
  });

  it("parses booleans explicitly, so false stays false", () => {
    expect(loadConfig({ SIM_LOG: "false" }).log).toBe(false);
    expect(loadConfig({ SIM_LOG: "0" }).log).toBe(false);
    expect(loadConfig({ SIM_LOG: "1" }).log).toBe(true);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ SIM_PORT: "", SIM_REQUIRE_KEY: "" })).toMatchObject({ port: 8090, requireKey: undefined });
  });

  it("rejects bad values with the variable's name", () => {
    expect(() => loadConfig({ SIM_PORT: "http" })).toThrow(/SIM_PORT/);
    expect(() => loadConfig({ SIM_PORT: "70000" })).toThrow(/SIM_PORT/);
    expect(() => loadConfig({ SIM_LATENCY_MS: "-1" })).toThrow(/SIM_LATENCY_MS/);
    expect(() => loadConfig({ SIM_LOG: "yes" })).toThrow(/SIM_LOG/);
    expect(() => loadConfig({ SIM_VIDEO_MS: "soon" })).toThrow(/SIM_VIDEO_MS/);
  });
});
