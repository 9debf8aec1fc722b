import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findExecutable } from "./executable.js";
import { findOrStartNats } from "./nats.js";
import { probeNats } from "./nats-probe.js";
import { natsServerMissingError } from "./nats-server.js";
import { freePort } from "./ports.js";

describe("findOrStartNats", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp("/tmp/switchyard-devstack-nats-");
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("finds the nats-server with JetStream running on 127.0.0.1:4222", async () => {
    const lines: string[] = [];
    const nats = await findOrStartNats({ env: { PATH: process.env.PATH }, dataDir, log: (line) => lines.push(line) });
    expect(nats.url).toBe("nats://127.0.0.1:4222");
    expect(nats.started).toBe(false);
    expect(lines.join("\n")).toContain("already running");
    await nats.stop();
  });

  it("uses a NATS_URL that answers", async () => {
    const nats = await findOrStartNats({ env: { NATS_URL: "nats://127.0.0.1:4222" }, dataDir });
    expect(nats).toMatchObject({ url: "nats://127.0.0.1:4222", started: false });
  });

  it("fails clearly, without falling back, when NATS_URL points nowhere", async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    await expect(findOrStartNats({ env: { NATS_URL: url }, dataDir })).rejects.toThrow(
      `NATS_URL=${url} does not answer`,
    );
  });

  it("fails clearly when NATS_URL answers without JetStream", async () => {
    const binary = findExecutable("nats-server", process.env);
    if (!binary) throw new Error("these tests need nats-server on PATH or in /usr/sbin");
    const port = await freePort();
    const plain = spawn(binary, ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    try {
      const url = `nats://127.0.0.1:${port}`;
      await expect.poll(async () => (await probeNats(url, 500)).reachable).toBe(true);
      await expect(findOrStartNats({ env: { NATS_URL: url }, dataDir })).rejects.toThrow(
        /answers but JetStream is not available/,
      );
    } finally {
      plain.kill("SIGTERM");
      await once(plain, "exit");
    }
  });

  it("says how to get NATS when there is none", () => {
    const { message } = natsServerMissingError();
    expect(message).toContain("apt-get install nats-server");
    expect(message).toContain("https://github.com/nats-io/nats-server/releases");
    expect(message).toContain("NATS_URL=");
  });
});
