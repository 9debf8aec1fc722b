import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { watchClient } from "./client-watch.js";
import type { StreamPlan } from "./dialect.js";
import { writeStream } from "./sse.js";

const plan: StreamPlan = {
  contentType: "text/event-stream",
  head: ["data: head\n\n"],
  content: Array.from({ length: 50 }, (_, i) => `data: ${i}\n\n`),
  tail: ["data: [DONE]\n\n"],
  error: "data: error\n\n",
};

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

describe("writeStream", () => {
  it("stops writing as soon as the client goes away, instead of pacing out the rest", async () => {
    let outcome: { frames: number; elapsedMs: number; gone: boolean } | undefined;
    const finished = new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        const started = performance.now();
        let frames = 0;
        const write = res.write.bind(res) as (chunk: string, cb: () => void) => boolean;
        res.write = ((chunk: string, cb: () => void) => {
          frames += 1;
          return write(chunk, cb);
        }) as typeof res.write;
        let gone = false;
        const watch = watchClient(res, () => (gone = true));
        void writeStream(
          res,
          plan,
          { chunkDelayMs: 50, truncateAfter: undefined, errorAfter: undefined },
          {},
          watch,
        ).then(() => {
          outcome = { frames, elapsedMs: performance.now() - started, gone };
          resolve();
        });
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server!.address() as AddressInfo;

    const req = request({ host: "127.0.0.1", port, path: "/" }, (res) => {
      let seen = 0;
      res.on("data", () => {
        seen += 1;
        if (seen === 3) req.destroy();
      });
    });
    req.on("error", () => undefined);
    req.end();
    await finished;

    expect(outcome!.gone).toBe(true);
    expect(outcome!.frames).toBeLessThan(10);
    expect(outcome!.elapsedMs).toBeLessThan(1000); // 50 frames x 50 ms would be 2.5 s
  });
});
