#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run bench` on a fresh clone: it needs
// nothing but Node.js. It installs the workspace with the pinned pnpm when node_modules is
// missing or stale (corepack is not used: it refuses the registry's signatures on some
// machines), then hands over to the TypeScript command in scripts/<command>.ts, run by node
// with tsx's loader.
import { spawnSync, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { watchParent } from "./parent-watch.mjs";

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

// Not the tsx CLI: it relays a signal to its child and SIGKILLs the child unless the child
// reports the signal back within 30 ms, which a command busy stopping its services does not.
const loader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
// `start` runs in its own process group: Ctrl-C in a terminal signals the whole foreground
// group, and nats-server and PostgreSQL would stop at once, under the services still draining
// into them. Only this process gets it; start.ts then stops the services before them.
const ownGroup = command === "start";
const child = spawn(process.execPath, ["--import", loader, commands[command], ...process.argv.slice(3)], {
  cwd: root,
  stdio: "inherit",
  detached: ownGroup,
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
// A closed terminal sends SIGHUP, which would kill this process and leave a detached child running.
if (ownGroup) process.on("SIGHUP", () => child.kill("SIGTERM"));
// npm stopped with SIGTERM takes the shell between it and us along, and we never hear of it.
watchParent(() => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
