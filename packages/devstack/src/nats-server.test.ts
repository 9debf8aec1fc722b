import { mkdtemp, rm } from "node:fs/promises";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeNats } from "./nats-probe.js";
import { startNatsServer, type NatsServer } from "./nats-server.js";

// Plain JetStream API requests, so this package needs no @nats-io/jetstream.
async function jsApi(nc: NatsConnection, subject: string, body?: unknown): Promise<Record<string, unknown>> {
  const reply = await nc.request(`$JS.API.${subject}`, body === undefined ? undefined : JSON.stringify(body), {
    timeout: 5_000,
  });
  const parsed = reply.json<Record<string, unknown>>();
  if (parsed.error) throw new Error(JSON.stringify(parsed.error));
  return parsed;
}

describe("startNatsServer", () => {
  let dataDir: string;
  let server: NatsServer | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp("/tmp/switchyard-devstack-nats-server-");
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("starts a private server with JetStream whose streams survive a restart", async () => {
    const lines: string[] = [];
    server = await startNatsServer({ dataDir, log: (line) => lines.push(line) });
    expect(server.started).toBe(true);
    expect(server.port).not.toBe(4222);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(lines.join("\n")).toContain("started nats-server");

    let nc = await connect({ servers: server.url });
    await jsApi(nc, "STREAM.CREATE.DEVSTACK_RESTART", {
      name: "DEVSTACK_RESTART",
      subjects: ["devstack.restart.>"],
      storage: "file",
      num_replicas: 1,
    });
    const ack = await nc.request("devstack.restart.one", "hello", { timeout: 5_000 });
    expect(ack.json<{ seq: number }>().seq).toBe(1);
    await nc.close();

    await server.restart();

    nc = await connect({ servers: server.url });
    const info = await jsApi(nc, "STREAM.INFO.DEVSTACK_RESTART");
    expect(info.state).toMatchObject({ messages: 1 });
    await nc.close();

    await server.stop();
    expect((await probeNats(server.url, 500)).reachable).toBe(false);
  }, 30_000);
});
