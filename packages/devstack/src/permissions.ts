import { chmod, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Log } from "./log.js";

/**
 * Adds the "others may traverse" bit (o+x, not read) to `path` and every directory above it
 * that lacks it. Needed when root runs PostgreSQL as the `postgres` user: that user must
 * reach the data dir and the binaries, and /root or a mkdtemp folder (0700) would stop it.
 */
export async function ensureTraversable(path: string, log: Log): Promise<void> {
  const chain: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    chain.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const directory of chain) {
    let mode: number;
    try {
      const info = await stat(directory);
      if (!info.isDirectory()) continue;
      mode = info.mode & 0o7777;
    } catch {
      return;
    }
    if ((mode & 0o001) === 0) {
      await chmod(directory, mode | 0o001);
      log(`made ${directory} traversable for other users (o+x) so the postgres user can reach its files`);
    }
  }
}
