import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { isPortFree } from "./ports.js";
import { findOrStartPostgres } from "./postgres.js";
import { runningPostmaster, stopPostmaster } from "./postmaster.js";
import { spawnService } from "./processes.js";
import { tsxCommand } from "./tsx.js";

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("embedded PostgreSQL", () => {
  it("initialises, starts, answers, stops, and starts again on the same cluster", async () => {
    // mkdtemp makes a 0700 folder and the TMPDIR below is 0700 too: the two traps of running
    // the server as the postgres user while we are root.
    const dataDir = await mkdtemp("/tmp/switchyard-devstack-embedded-");
    const privateTmp = join(dataDir, "private-tmp");
    await mkdir(privateTmp);
    await chmod(privateTmp, 0o700);
    const previousTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    const lines: string[] = [];
    const log = (line: string): void => void lines.push(line);
    try {
      let begun = Date.now();
      const first = await findOrStartPostgres({ env: {}, dataDir, log, prefer: "embedded" });
      const firstStartMs = Date.now() - begun;
      expect(first.started).toBe(true);
      const port = Number(new URL(first.adminUrl).port);
      expect(port).not.toBe(5432); // the machine's own server holds 5432
      expect(await query(first.adminUrl, "select 1 as one")).toEqual([{ one: 1 }]);
      expect(await query(first.adminUrl, "show server_encoding")).toEqual([{ server_encoding: "UTF8" }]);
      await query(first.adminUrl, "create table kept (note text); insert into kept values ('survives a restart')");
      begun = Date.now();
      await first.stop();
      const firstStopMs = Date.now() - begun;
      expect(await isPortFree(port)).toBe(true);

      begun = Date.now();
      const second = await findOrStartPostgres({ env: { SWITCHYARD_POSTGRES: "embedded" }, dataDir, log });
      const secondStartMs = Date.now() - begun;
      expect(await query(second.adminUrl, "select note from kept")).toEqual([{ note: "survives a restart" }]);
      await second.stop();
      expect(await isPortFree(Number(new URL(second.adminUrl).port))).toBe(true);

      const started = lines.filter((line) => line.startsWith("started embedded PostgreSQL"));
      expect(started).toHaveLength(2);
      expect(started[0]).toContain("(new cluster)");
      expect(started[1]).not.toContain("(new cluster)");
      console.log(
        `embedded PostgreSQL: first start (initdb + start) ${firstStartMs} ms, stop ${firstStopMs} ms, second start ${secondStartMs} ms\n` +
          lines.join("\n"),
      );
    } finally {
      if (previousTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmpdir;
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("embedded PostgreSQL left running by a run that crashed", () => {
  it("is taken over by the next start and stopped by it", async () => {
    const dataDir = await mkdtemp("/tmp/switchyard-devstack-orphan-");
    const script = join(dataDir, "crashing-launcher.mts");
    const source = new URL("./embedded-postgres.ts", import.meta.url).pathname;
    await writeFile(
      script,
      `import { startEmbeddedPostgres } from ${JSON.stringify(source)};
const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
console.log("ready pid " + process.pid + " url " + pg.adminUrl);
setInterval(() => {}, 1000);
`,
    );
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const tsx = tsxCommand(root);
    try {
      const launcher = await spawnService({
        name: "launcher",
        command: tsx.command,
        args: [...tsx.args, script],
        cwd: root,
        env: { PATH: process.env.PATH },
        ready: { line: /^ready pid \d+/ },
      });
      // SIGKILL the script itself (not the tsx wrapper): its PostgreSQL child is orphaned.
      process.kill(Number(/ready pid (\d+)/.exec(launcher.output())?.[1]), "SIGKILL");
      await launcher.exited;
      const orphan = await runningPostmaster(join(dataDir, "postgres"));
      expect(orphan).toBeDefined();

      const lines: string[] = [];
      const pg = await findOrStartPostgres({ env: {}, dataDir, prefer: "embedded", log: (line) => lines.push(line) });
      expect(lines.join("\n")).toContain(`took over the embedded PostgreSQL (pid ${orphan?.pid})`);
      expect(pg.started).toBe(true);
      expect(await query(pg.adminUrl, "select 1 as one")).toEqual([{ one: 1 }]);
      await pg.stop();
      expect(await runningPostmaster(join(dataDir, "postgres"))).toBeUndefined();
    } finally {
      const leftover = await runningPostmaster(join(dataDir, "postgres"));
      if (leftover) await stopPostmaster(leftover.pid);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
