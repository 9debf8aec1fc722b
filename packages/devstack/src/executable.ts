import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Debian puts nats-server in /usr/sbin, which is not on a normal user's PATH. */
const extraDirectories = ["/usr/sbin", "/usr/local/bin"];

/**
 * The absolute path of an executable called `name` on `env.PATH`, then in /usr/sbin and
 * /usr/local/bin; undefined when there is none.
 */
export function findExecutable(name: string, env: Record<string, string | undefined>): string | undefined {
  const directories = [...(env.PATH ?? "").split(delimiter), ...extraDirectories].filter((d) => d !== "");
  for (const directory of new Set(directories)) {
    const candidate = join(directory, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
