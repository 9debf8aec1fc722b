import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * How to run a TypeScript entry point with the workspace's tsx. Append the script path to
 * `args`. tsx runs the script in a child process and passes SIGINT/SIGTERM on to it;
 * `ServiceProcess.kill()` kills that child too.
 *
 * @example
 * const tsx = tsxCommand(root);
 * await spawnService({ command: tsx.command, args: [...tsx.args, "services/ledger/src/main.ts"], ... });
 */
export function tsxCommand(root: string): { command: string; args: string[] } {
  const command = join(root, "node_modules", ".bin", "tsx");
  if (!existsSync(command)) {
    throw new Error(`${command} is missing: install the workspace first (node scripts/run.mjs does it).`);
  }
  return { command, args: [] };
}
