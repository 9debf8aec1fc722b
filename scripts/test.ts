// `npm test`: type-check every project, lint, then run every test (unit tests beside the code
// and the cross-service tests in test/) in one vitest run. Stops at the first failing step.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
const report = join(root, ".data", "vitest-report.json");
mkdirSync(join(root, ".data"), { recursive: true });
rmSync(report, { force: true });

const steps: Array<[label: string, command: string, args: string[]]> = [
  ["type-check", bin("tsc"), ["-b"]],
  ["lint", bin("eslint"), ["--max-warnings", "0", "."]],
  [
    "tests",
    bin("vitest"),
    ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  ],
];

/** The plain closing line CI tools read: `tests: N passed, N failed`. */
function printTotals(): void {
  if (!existsSync(report)) return;
  const totals = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number };
  console.log(`\ntests: ${totals.numPassedTests} passed, ${totals.numFailedTests} failed`);
}

for (const [label, command, args] of steps) {
  console.log(`\n== ${label}: ${[command.replace(`${root}/`, ""), ...args].join(" ")}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (label === "tests") printTotals();
  if (result.status !== 0) {
    console.error(`\n== ${label} failed after ${seconds}s`);
    process.exit(result.status ?? 1);
  }
  console.log(`== ${label} passed in ${seconds}s`);
}
