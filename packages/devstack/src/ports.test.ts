import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, isPortFree } from "./ports.js";

describe("ports", () => {
  it("finds a free port and sees it taken while something listens on it", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortFree(port)).toBe(true);

    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await isPortFree(port)).toBe(true);
  });
});
