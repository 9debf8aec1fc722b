/** What the worker logs through: one line per message, errors with their cause chain. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function format(level: string, message: string, fields: Record<string, unknown> | undefined): string {
  const extra = fields ? ` ${JSON.stringify(fields, replacer)}` : "";
  return `provider-worker ${level}: ${message}${extra}`;
}

/** Errors serialize as their name, message, code and cause, never as `{}`. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { code } = value as { code?: unknown };
    return {
      name: value.name,
      message: value.message,
      ...(code !== undefined && { code }),
      ...(value.cause !== undefined && { cause: value.cause }),
    };
  }
  return value;
}

/** Logs to stdout/stderr; the process supervisor collects the lines. */
export function createConsoleLogger(): Logger {
  return {
    info: (message, fields) => console.log(format("info", message, fields)),
    warn: (message, fields) => console.warn(format("warn", message, fields)),
    error: (message, fields) => console.error(format("error", message, fields)),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
