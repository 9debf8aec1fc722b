import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "./ports.js";
import { startService } from "./services.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("startService", () => {
  it("refuses a port something already answers on, instead of taking its answer for readiness", async () => {
    const port = await freePort();
    const other = createServer((req, res) => res.end("{}"));
    await new Promise<void>((resolve) => other.listen(port, "127.0.0.1", resolve));
    try {
      await expect(startService("sim-provider", { root, env: { PATH: process.env.PATH }, port })).rejects.toThrow(
        `sim-provider: port ${port} on 127.0.0.1 is already in use (another npm start?); stop what listens there or set SIM_PORT to another port`,
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
