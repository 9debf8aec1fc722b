const REFERENCE = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in the catalog text, so one file serves every
 * machine: base URLs of local simulators differ between runs, real providers' do not.
 * An unset variable without a default is an error, not an empty string.
 */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
    if (fallback !== undefined) return fallback;
    throw new Error(`catalog references \${${name}}, which is not set`);
  });
}
