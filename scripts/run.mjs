#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run bench` on a fresh clone: it needs
// nothing but Node.js. It installs the workspace with the pinned pnpm when node_modules is
// missing or stale (corepack is not used: it refuses the registry's signatures on some
// machines), then hands over to the TypeScript command in scripts/<command>.ts via tsx.
import { spawnSync, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const command = process.argv[2];
const commands = { start: "scripts/start.ts", test: "scripts/test.ts", bench: "scripts/bench.ts" };
if (!command || !(command in commands)) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(commands).join("|")}> [args]`);
  process.exit(2);
}

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Switchyard needs Node.js >= 20.19; this is ${process.version}.`);
  process.exit(1);
}

function installIsCurrent() {
  const marker = join(root, "node_modules", ".modules.yaml");
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(root, "pnpm-lock.yaml")).mtimeMs;
}

if (!installIsCurrent()) {
  const pnpm = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager;
  console.log(`Installing dependencies with ${pnpm} ...`);
  const result = spawnSync("npx", ["-y", pnpm, "install", "--frozen-lockfile"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, npm_config_yes: "true" },
  });
  if (result.status !== 0) {
    console.error("Dependency installation failed; see the output above.");
    process.exit(result.status ?? 1);
  }
}

const tsx = join(root, "node_modules", ".bin", "tsx");
const child = spawn(tsx, [commands[command], ...process.argv.slice(3)], { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
