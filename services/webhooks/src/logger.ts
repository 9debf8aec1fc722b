/** What the dispatcher logs through: one line per message. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Logs to stdout/stderr; the process supervisor collects the lines. */
export function createConsoleLogger(): Logger {
  return {
    info: (message) => console.log(`webhooks: ${message}`),
    warn: (message) => console.warn(`webhooks: ${message}`),
    error: (message) => console.error(`webhooks: ${message}`),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
