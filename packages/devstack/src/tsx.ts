import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * How to run a TypeScript entry point with the workspace's tsx. Append the script path to
 * `args`. The service runs as one `node --import tsx` process rather than under the `tsx`
 * CLI, which would add a wrapper process (about 40 MB) that relays signals to a child.
 *
 * @example
 * const tsx = tsxCommand(root);
 * await spawnService({ command: tsx.command, args: [...tsx.args, "services/ledger/src/main.ts"], ... });
 */
export function tsxCommand(root: string): { command: string; args: string[] } {
  const tsx = join(root, "node_modules", "tsx");
  if (!existsSync(tsx)) {
    throw new Error(`${tsx} is missing: install the workspace first (node scripts/run.mjs does it).`);
  }
  // SWITCHYARD_NODE_FLAGS adds flags Node refuses in NODE_OPTIONS, such as --cpu-prof, to every
  // service a launcher starts: the way to profile the stack under load.
  const extra = (process.env.SWITCHYARD_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean);
  return {
    command: process.execPath,
    args: [...extra, "--import", pathToFileURL(join(tsx, "dist", "loader.mjs")).href],
  };
}
