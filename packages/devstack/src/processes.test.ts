import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./ports.js";
import { isAlive } from "./process-tree.js";
import { spawnService, type ServiceProcess } from "./processes.js";
import { stopAll } from "./registry.js";
import { tsxCommand } from "./tsx.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const node = process.execPath;
const env = { PATH: process.env.PATH };

const httpServer = `
const port = Number(process.argv[1]);
require("node:http").createServer((req, res) => res.end("ok")).listen(port, "127.0.0.1", () => console.log("listening on " + port));
process.on("SIGTERM", () => { console.log("bye"); process.exit(0); });
`;

describe("spawnService", () => {
  const started: ServiceProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((service) => service.stop()));
  });

  it("is ready when the URL answers 2xx, logs with a prefix and stops on SIGTERM", async () => {
    const port = await freePort();
    const lines: string[] = [];
    const exits: Array<[number | null, NodeJS.Signals | null]> = [];
    const service = await spawnService({
      name: "web",
      command: node,
      args: ["-e", httpServer, String(port)],
      cwd: root,
      env,
      ready: { url: `http://127.0.0.1:${port}/` },
      log: (line) => lines.push(line),
      onExit: (code, signal) => exits.push([code, signal]),
    });
    started.push(service);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
    expect(service.pid).toBeGreaterThan(0);
    await service.stop();
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(exits).toEqual([[0, null]]);
    expect(lines).toContain(`[web] listening on ${port}`);
    expect(lines).toContain("[web] bye");
    expect(service.output()).toContain("bye");
  });

  it("is ready when a line matches, on stdout or stderr", async () => {
    const service = await spawnService({
      name: "liner",
      command: node,
      args: [
        "-e",
        `console.log("warming up"); setTimeout(() => console.error("worker ready"), 200); setInterval(() => {}, 1000);`,
      ],
      cwd: root,
      env,
      ready: { line: /worker ready/g },
    });
    started.push(service);
    expect(service.output()).toBe("warming up\nworker ready");
  });

  it("reports the output of a process that dies before it is ready", async () => {
    const port = await freePort();
    const attempt = spawnService({
      name: "broken",
      command: node,
      args: ["-e", `console.log("loading config"); console.error("config error: PORT is required"); process.exit(3);`],
      cwd: root,
      env,
      ready: { url: `http://127.0.0.1:${port}/` },
    });
    await expect(attempt).rejects.toThrow(
      /broken: exited \(code 3\) before it was ready[\s\S]*config error: PORT is required/,
    );
  });

  it("stops a process that is not ready in time and says so", async () => {
    let pid: number | undefined;
    const attempt = spawnService({
      name: "slow",
      command: node,
      args: ["-e", `console.log("pid " + process.pid); setInterval(() => {}, 1000);`],
      cwd: root,
      env,
      ready: { line: /never/ },
      timeoutMs: 500,
      log: (line) => (pid ??= Number(/pid (\d+)/.exec(line)?.[1])),
    });
    await expect(attempt).rejects.toThrow(/slow: not ready after 500 ms, so it was stopped/);
    expect(pid && isAlive(pid)).toBe(false);
  });

  it("fails clearly when the command does not exist", async () => {
    const attempt = spawnService({
      name: "ghost",
      command: "/nonexistent/bin",
      args: [],
      cwd: root,
      env,
      ready: { line: /x/ },
    });
    await expect(attempt).rejects.toThrow(/ghost: could not start \/nonexistent\/bin: .*ENOENT/);
  });

  it("stopAll stops every service still running", async () => {
    const services = await Promise.all(
      ["a", "b"].map((name) =>
        spawnService({
          name,
          command: node,
          args: ["-e", `console.log("up"); setInterval(() => {}, 1000);`],
          cwd: root,
          env,
          ready: { line: /up/ },
        }),
      ),
    );
    await stopAll();
    for (const service of services) expect((await service.exited).signal).toBe("SIGTERM");
  });
});

describe("spawnService with tsx", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp("/tmp/switchyard-devstack-tsx-");
    await writeFile(
      join(dir, "main.ts"),
      // The handler goes in before the ready line: a signal sent the moment the line is
      // seen must never find the default action still in place (it did, once, on a busy CI).
      `const started: number = Date.now();
process.on("SIGTERM", () => { console.log(\`graceful after \${Date.now() - started} ms\`); process.exit(0); });
console.log(\`script pid \${process.pid}\`);
setInterval(() => {}, 1000);
`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const startScript = async (): Promise<{ service: ServiceProcess; scriptPid: number }> => {
    const tsx = tsxCommand(root);
    const service = await spawnService({
      name: "ts",
      command: tsx.command,
      args: [...tsx.args, join(dir, "main.ts")],
      cwd: root,
      env,
      ready: { line: /script pid \d+/ },
    });
    const scriptPid = Number(/script pid (\d+)/.exec(service.output())?.[1]);
    return { service, scriptPid };
  };

  it("stops the script gracefully with SIGTERM", async () => {
    const { service, scriptPid } = await startScript();
    await service.stop();
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(service.output()).toMatch(/graceful after \d+ ms/);
    expect(isAlive(scriptPid)).toBe(false);
  });

  it("runs the script in the spawned process itself, so kill() ends it at once", async () => {
    const { service, scriptPid } = await startScript();
    expect(scriptPid).toBe(service.pid);
    service.kill();
    expect((await service.exited).signal).toBe("SIGKILL");
    await expect.poll(() => isAlive(scriptPid)).toBe(false);
    expect(service.output()).not.toMatch(/graceful/);
  });
});
