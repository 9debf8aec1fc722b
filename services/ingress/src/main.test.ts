import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { connectBus } from "@switchyard/bus";
import { createNames, randomId } from "@switchyard/contracts";
import { NATS_URL, deleteStreams } from "./test-support/harness.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const namespace = `i${randomId(10).toLowerCase()}`;

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { PATH: process.env["PATH"] ?? "", OTEL_SDK_DISABLED: "true", NATS_URL, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, out: () => stdout, err: () => stderr };
}

afterAll(async () => {
  const bus = await connectBus({ servers: NATS_URL, name: "ingress-test-main" });
  await deleteStreams(bus, createNames(namespace));
  await bus.close();
});

describe("main", () => {
  it("prints the configuration problems and exits 1", async () => {
    const proc = start({ SWITCHYARD_ENV: "production", INGRESS_PORT: "nope" });
    const [code] = (await once(proc.child, "exit")) as [number];
    expect(code).toBe(1);
    expect(proc.err()).toMatch(/INGRESS_PORT/);
    expect(proc.err()).toMatch(/SWITCHYARD_API_KEYS/);
  });

  it("listens on a random port, prints the URL and the dev key, serves, and stops on SIGTERM", async () => {
    const proc = start({ INGRESS_PORT: "0", SWITCHYARD_NAMESPACE: namespace });
    const exited = once(proc.child, "exit");
    const deadline = Date.now() + 20_000;
    // The dev key line comes last; the banner's lines may reach the pipe in separate reads.
    while (!proc.out().includes("dev API key") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /listening on (http:\S+)/.exec(proc.out())?.[1];
    expect(url, proc.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(proc.out()).toContain("dev API key: sk-switchyard-dev (tenant dev)");

    const models = await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer sk-switchyard-dev" } });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain("gpt-4o-mini");
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    proc.child.kill("SIGTERM");
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
  });
});
