/**
 * Whether PostgreSQL could not be reached rather than refused the statement: a socket error
 * (refused, reset, timed out), or a server that is starting, shutting down, full or not
 * accepting us yet. The ledger waits out the first kind at start and answers 503 for it over
 * HTTP; any other error is a fault of ours or of the data.
 */
export function isConnectionError(error: unknown): boolean {
  const root = rootCause(error) as { code?: unknown; message?: unknown };
  const code = typeof root?.code === "string" ? root.code : "";
  if (/^E[A-Z]+$/.test(code)) return true;
  if (/connection terminated|timeout exceeded when trying to connect/i.test(String(root?.message ?? ""))) return true;
  return code.startsWith("08") || ["57P01", "57P02", "57P03", "53300", "3D000", "55000"].includes(code);
}

/** The innermost `cause` of an error chain: what the driver saw. */
export function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current;
}
