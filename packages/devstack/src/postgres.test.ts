import { mkdtemp, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./ports.js";
import { findOrStartPostgres } from "./postgres.js";
import { probePostgres, withDatabase } from "./postgres-probe.js";

// On a machine without one, 5432 is the global setup's embedded server, which has a password.
const localUrl = "postgres://postgres@127.0.0.1:5432/postgres";
const noLocalServer = !(await probePostgres(localUrl)).ok;

describe("findOrStartPostgres", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp("/tmp/switchyard-devstack-pg-");
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(noLocalServer)("finds the PostgreSQL on 127.0.0.1:5432 that lets user postgres in", async () => {
    const pg = await findOrStartPostgres({ env: {}, dataDir });
    expect(pg).toMatchObject({ adminUrl: localUrl, started: false });
    await pg.stop();
  });

  it.skipIf(noLocalServer)("derives the admin URL from DATABASE_URL", async () => {
    const pg = await findOrStartPostgres({
      env: { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/switchyard?application_name=x" },
      dataDir,
    });
    expect(pg).toMatchObject({
      adminUrl: "postgres://postgres@127.0.0.1:5432/postgres?application_name=x",
      started: false,
    });
  });

  it("fails clearly, without falling back, when DATABASE_URL points nowhere", async () => {
    const url = `postgres://app:secret@127.0.0.1:${await freePort()}/app`;
    const attempt = findOrStartPostgres({ env: { DATABASE_URL: url }, dataDir });
    await expect(attempt).rejects.toThrow(/DATABASE_URL points at a server that does not answer/);
    await expect(attempt).rejects.not.toThrow(/secret/);
  });
});

describe("withDatabase", () => {
  it("swaps only the database", () => {
    expect(withDatabase("postgres://u:p%40ss@db.internal:6543/app?sslmode=require", "other")).toBe(
      "postgres://u:p%40ss@db.internal:6543/other?sslmode=require",
    );
  });
});
