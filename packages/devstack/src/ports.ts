import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now. Another process may take it
 * before the caller binds it, so use it promptly.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error("could not read the listening port")) : resolve(port)));
    });
  });
}

/**
 * Whether `port` can be bound on 127.0.0.1 right now.
 *
 * @example
 * const port = (await isPortFree(4222)) ? 4222 : await freePort();
 */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
