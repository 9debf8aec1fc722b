import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("has working defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      natsServers: ["nats://127.0.0.1:4222"],
      namespace: "",
      databaseUrl: "postgres://postgres@127.0.0.1:5432/switchyard",
      databaseSchema: undefined,
      migrate: true,
      preparedStatements: true,
      host: "127.0.0.1",
      port: 8081,
      batchSize: 500,
      flushMs: 20,
      apiKey: undefined,
    });
    expect(config.catalogPath).toMatch(/config\/catalog\.yaml$/);
  });

  it("parses every variable, empty ones counting as unset", () => {
    const config = loadConfig({
      NATS_URL: "nats://a:4222, nats://b:4222",
      SWITCHYARD_NAMESPACE: "t1",
      DATABASE_SCHEMA: "ledger",
      LEDGER_MIGRATE: "False",
      DATABASE_PREPARED_STATEMENTS: "NO",
      LEDGER_PORT: "0",
      LEDGER_BATCH_SIZE: "1000",
      LEDGER_FLUSH_MS: "",
      LEDGER_API_KEY: "  ",
    });
    expect(config).toMatchObject({
      natsServers: ["nats://a:4222", "nats://b:4222"],
      namespace: "t1",
      databaseSchema: "ledger",
      migrate: false,
      preparedStatements: false,
      port: 0,
      batchSize: 1000,
      flushMs: 20,
      apiKey: undefined,
    });
  });

  it("names every bad variable", () => {
    expect(() => loadConfig({ LEDGER_PORT: "http", LEDGER_MIGRATE: "maybe", DATABASE_SCHEMA: "Bad-Name" })).toThrow(
      /LEDGER_PORT[\s\S]*LEDGER_MIGRATE|LEDGER_MIGRATE[\s\S]*LEDGER_PORT/,
    );
    expect(() => loadConfig({ DATABASE_SCHEMA: "Bad-Name" })).toThrow(/DATABASE_SCHEMA/);
    expect(() => loadConfig({ LEDGER_BATCH_SIZE: "0" })).toThrow(/LEDGER_BATCH_SIZE/);
    // A flush window past the consumer's ack wait would have every event delivered twice.
    expect(() => loadConfig({ LEDGER_FLUSH_MS: "30000" })).toThrow(/LEDGER_FLUSH_MS/);
  });
});
