import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const watcher = pathToFileURL(join(import.meta.dirname, "..", "scripts", "parent-watch.mjs")).href;

/** A node process under `sh -c`, as npm runs a script, that writes `lost` to `out` when its parent goes. */
function startUnderShell(out: string) {
  const program = `import(${JSON.stringify(watcher)}).then(({ watchParent }) => {
    watchParent(() => { require("node:fs").writeFileSync(${JSON.stringify(out)}, "lost"); process.exit(0); }, 20);
    require("node:fs").writeFileSync(${JSON.stringify(out + ".ready")}, "");
    setTimeout(() => process.exit(3), 10_000);
  });`;
  // `; true` keeps sh from exec'ing node in its place: the shell stays node's parent, as under npm.
  return spawn("sh", ["-c", `${JSON.stringify(process.execPath)} -e ${shellQuote(program)}; true`], {
    stdio: "ignore",
  });
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("watchParent (scripts/parent-watch.mjs)", () => {
  it("notices when the shell between npm and the script dies of a SIGTERM it does not pass on", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "parent-watch-")), "out");
    const shell = startUnderShell(out);
    await until(() => existsSync(`${out}.ready`));
    expect(existsSync(out)).toBe(false);
    shell.kill("SIGTERM");
    await until(() => existsSync(out));
    expect(readFileSync(out, "utf8")).toBe("lost");
  });

  it("stays quiet while the parent lives", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "parent-watch-")), "out");
    const shell = startUnderShell(out);
    try {
      await until(() => existsSync(`${out}.ready`));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(existsSync(out)).toBe(false);
    } finally {
      shell.kill("SIGKILL");
    }
  });
});
