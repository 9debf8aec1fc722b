/** Receives one human-readable line at a time; callers decide where it goes (console, file, nowhere). */
export type Log = (line: string) => void;

export const silent: Log = () => {};

/** The last `limit` lines, oldest first, shown in error messages so a failure explains itself. */
export function tail(lines: readonly string[], limit: number): string {
  const shown = lines.slice(-limit);
  if (shown.length === 0) return "  (no output)";
  return shown.map((line) => `  ${line}`).join("\n");
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
