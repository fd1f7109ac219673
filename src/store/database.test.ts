/**
 * Opening databases: the URL forms and their errors, SQLite's settings
 * (WAL, foreign keys, busy timeout), no committed data lost when the process
 * is killed, and the node:sqlite adapter under Kysely.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Kysely, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { DatabaseOpenError, DatabaseUrlError, openDatabase, parseDatabaseUrl, redactUrl } from "./database.ts";
import { createInstitution, listInstitutions } from "./institutions.ts";
import { NodeSqliteDialect } from "./sqlite.ts";
import { describeError } from "./support.ts";

let folder: string;
before(() => {
  folder = mkdtempSync(join(tmpdir(), "baseline-database-"));
});
after(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe("database URLs", () => {
  it("accept the SQLite and PostgreSQL forms", () => {
    assert.deepEqual(parseDatabaseUrl("sqlite:data/baseline.db"), { dialect: "sqlite", path: "data/baseline.db" });
    assert.deepEqual(parseDatabaseUrl("sqlite:///var/lib/baseline.db"), { dialect: "sqlite", path: "/var/lib/baseline.db" });
    assert.deepEqual(parseDatabaseUrl("sqlite::memory:"), { dialect: "sqlite", path: ":memory:" });
    assert.equal(parseDatabaseUrl("postgres://baseline@db.example:5433/observatory").dialect, "postgres");
    assert.equal(parseDatabaseUrl("postgresql://baseline@localhost/observatory").dialect, "postgres");
  });

  it("refuse anything else with an error naming the URL and the accepted forms", async () => {
    for (const [url, reason] of [
      ["mysql://root@localhost/db", /expected sqlite:PATH/],
      ["baseline.db", /expected sqlite:PATH/],
      ["sqlite:", /the file path is missing/],
      ["postgres://user@localhost", /the database name is missing/],
      ["postgres:///db", /the host is missing/],
      ["postgres://user@/db", /not a well-formed URL/],
      ["postgres://user@[bad/db", /not a well-formed URL/],
    ] as const) {
      await assert.rejects(openDatabase(url), (error: unknown) => {
        assert.ok(error instanceof DatabaseUrlError, url);
        assert.ok(error.message.includes(`"${url}"`), `${error.message} names ${url}`);
        assert.match(error.message, reason);
        return true;
      });
    }
  });

  it("never show a password", async () => {
    assert.equal(redactUrl("postgres://baseline:s3cret@db.example/observatory"), "postgres://baseline:***@db.example/observatory");
    await assert.rejects(openDatabase("postgres://baseline:s3cret@db.example"), (error: unknown) => {
      assert.ok(error instanceof DatabaseUrlError);
      assert.ok(!error.message.includes("s3cret"));
      assert.match(error.message, /baseline:\*\*\*@db\.example/);
      return true;
    });
  });

  it("report a PostgreSQL server that does not answer, naming the URL", async () => {
    // Port 1 on loopback: refused at once, no waiting for a timeout.
    await assert.rejects(openDatabase("postgres://baseline:pw@127.0.0.1:1/observatory"), (error: unknown) => {
      assert.ok(error instanceof DatabaseOpenError);
      assert.match(error.message, /^cannot open database postgres:\/\/baseline:\*\*\*@127\.0\.0\.1:1\/observatory: .*ECONNREFUSED/);
      return true;
    });
  });
});

describe("SQLite", () => {
  it("creates the file and its folders, in WAL mode with foreign keys and a busy timeout", async () => {
    const path = join(folder, "a", "b", "baseline.db");
    const store = await openDatabase(`sqlite:${path}`);
    try {
      assert.ok(existsSync(path));
      const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0] as unknown;
      assert.equal(await pragma("journal_mode"), "wal");
      assert.equal(await pragma("foreign_keys"), 1);
      assert.equal(await pragma("busy_timeout"), 5000);
      await createInstitution(store.db, { name: "x", kind: "government", region: "001" }, null);
      assert.ok(existsSync(`${path}-wal`), "writes go to the write-ahead log");
    } finally {
      await store.close();
    }
  });

  it("works in memory", async () => {
    const store = await openDatabase("sqlite::memory:");
    try {
      await createInstitution(store.db, { name: "In memory", kind: "academia", region: "001" }, null);
      assert.equal((await listInstitutions(store.db)).total, 1);
    } finally {
      await store.close();
    }
  });

  it("refuses a path it cannot open, naming it", async () => {
    await assert.rejects(openDatabase(`sqlite:${folder}`), (error: unknown) => {
      assert.ok(error instanceof DatabaseOpenError);
      assert.ok(error.message.includes(folder));
      return true;
    });
  });

  it("keeps every committed change when the process is killed", () => {
    const path = join(folder, "crash", "baseline.db");
    const databaseModule = fileURLToPath(new URL("./database.ts", import.meta.url));
    const institutionsModule = fileURLToPath(new URL("./institutions.ts", import.meta.url));
    const child = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { openDatabase } = await import(${JSON.stringify(databaseModule)});
         const { createInstitution } = await import(${JSON.stringify(institutionsModule)});
         const store = await openDatabase(${JSON.stringify(`sqlite:${path}`)});
         for (let i = 0; i < 20; i++) await createInstitution(store.db, { name: "committed " + i, kind: "government", region: "001" }, null);
         process.kill(process.pid, "SIGKILL");`,
      ],
      { encoding: "utf8", timeout: 10_000 },
    );
    assert.equal(child.signal, "SIGKILL", child.stderr);
    assert.ok(statSync(`${path}-wal`).size > 0, "the changes were still in the log, not yet in the database file");
    const reopened = new DatabaseSync(path);
    try {
      const row = reopened.prepare("select count(*) as n from institutions").get();
      assert.equal(row?.n, 20);
    } finally {
      reopened.close();
    }
  });
});

describe("the node:sqlite adapter", () => {
  const open = () => new Kysely<{ t: { id: number; flag: number | boolean; name: string | null } }>({ dialect: new NodeSqliteDialect(new DatabaseSync(":memory:")) });

  it("runs writes, returns rows of reads and of INSERT ... RETURNING, and stores booleans as 1 and 0", async () => {
    const db = open();
    try {
      await db.schema.createTable("t").addColumn("id", "integer", (column) => column.primaryKey()).addColumn("flag", "boolean").addColumn("name", "text").execute();
      const inserted = await db.insertInto("t").values({ id: 1, flag: true, name: "a" }).executeTakeFirst();
      assert.equal(inserted.numInsertedOrUpdatedRows, 1n);
      const returned = await db.insertInto("t").values({ id: 2, flag: false, name: null }).returning(["id", "name"]).execute();
      assert.deepEqual(returned.map((row) => ({ ...row })), [{ id: 2, name: null }]);
      const rows = await db.selectFrom("t").select(["id", "flag"]).orderBy("id").execute();
      assert.deepEqual(rows.map((row) => ({ ...row })), [{ id: 1, flag: 1 }, { id: 2, flag: 0 }]);
      const updated = await db.updateTable("t").set({ name: "b" }).where("flag", "=", 1).executeTakeFirst();
      assert.equal(updated.numUpdatedRows, 1n);
      const streamed = [];
      for await (const row of db.selectFrom("t").select("id").stream()) streamed.push(row.id);
      assert.deepEqual(streamed, [1, 2]);
    } finally {
      await db.destroy();
    }
  });

  it("refuses values SQLite cannot store, saying which parameter", async () => {
    const db = open();
    try {
      await assert.rejects(sql`select ${{ an: "object" }} as x`.execute(db), /SQLite parameter 1 is a object/);
    } finally {
      await db.destroy();
    }
  });

  it("keeps transactions apart on its single connection", async () => {
    const db = open();
    try {
      await db.schema.createTable("t").addColumn("id", "integer", (column) => column.primaryKey()).addColumn("flag", "integer").addColumn("name", "text").execute();
      const failing = db.transaction().execute(async (trx) => {
        await trx.insertInto("t").values({ id: 1, flag: 0, name: "rolled back" }).execute();
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("abort");
      });
      // Queued behind the transaction by Kysely's connection mutex, so it neither joins nor sees it.
      const outside = db.insertInto("t").values({ id: 2, flag: 0, name: "kept" }).execute();
      await assert.rejects(failing, /abort/);
      await outside;
      assert.deepEqual((await db.selectFrom("t").select("name").execute()).map((row) => row.name), ["kept"]);
    } finally {
      await db.destroy();
    }
  });

  it("applies migrations all or nothing", async () => {
    const db = open();
    try {
      const migrator = new Migrator({
        db,
        provider: {
          getMigrations: () =>
            Promise.resolve({
              "0001-fails-half-way": {
                up: async (migrating: Kysely<unknown>) => {
                  await migrating.schema.createTable("t").addColumn("id", "integer").execute();
                  throw new Error("second statement failed");
                },
              },
            }),
        },
      });
      const { error } = await migrator.migrateToLatest();
      assert.match(describeError(error), /second statement failed/);
      const tables = await db.introspection.getTables();
      assert.deepEqual(tables.map((table) => table.name), [], "the table of the failed migration was rolled back");
    } finally {
      await db.destroy();
    }
  });
});
