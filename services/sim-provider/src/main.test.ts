import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Other suites start the sim exactly like this, so the entry point itself is tested too.
const MAIN = join(import.meta.dirname, "main.ts");

function startSim(env: Record<string, string>) {
  return spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: import.meta.dirname,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Starts the sim on a random port and resolves with its printed URL. */
async function startAndWaitForUrl(child: ReturnType<typeof startSim>): Promise<string> {
  let stdout = "";
  child.stdout.setEncoding("utf8");
  return new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      const match = /sim-provider listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`sim exited early with ${code}`)));
  });
}

const chatBody = (text: string, stream = false) =>
  JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: text }] });

describe("main.ts", () => {
  it("prints its URL, serves, and exits 0 on SIGTERM", async () => {
    const child = startSim({ SIM_PORT: "0", SIM_HOST: "127.0.0.1" });
    try {
      const url = await startAndWaitForUrl(child);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chatBody("Return exactly: up"),
      });
      const completion = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(completion.choices[0]?.message.content).toBe("up");

      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("on SIGTERM drops hung requests, finishes running streams, then exits 0", async () => {
    const child = startSim({ SIM_PORT: "0" });
    try {
      const url = await startAndWaitForUrl(child);
      const post = (text: string, fault: string, stream = false) =>
        fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-sim-fault": fault },
          body: chatBody(text, stream),
        });
      const hung = post("x", "hang").then(
        () => "answered",
        () => "failed",
      );
      const streamed = await post("Return exactly: a b c", "chunk_delay_ms=150", true);
      const text = streamed.text();
      await new Promise((resolve) => setTimeout(resolve, 100));

      const started = performance.now();
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
      expect(performance.now() - started).toBeLessThan(2500);
      expect(await hung).toBe("failed");
      expect(await text).toContain("data: [DONE]");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("exits 1 with the bad variable named", async () => {
    const child = startSim({ SIM_PORT: "not-a-port" });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr).toMatch(/SIM_PORT/);
  });
});
