import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Kvm4nfvError } from "../../src/errors.js";
import { APPLICATION_ID, LATEST_VERSION, type Migration, migrate } from "../../src/results/migrations.js";
import { defaultStorePath, openStore } from "../../src/results/store.js";
import { makeMigrationRun, makeTimerRun } from "./run-factory.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kvm4nfv-store-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): Kvm4nfvError {
  try {
    fn();
  } catch (err) {
    if (err instanceof Kvm4nfvError) return err;
    throw err;
  }
  throw new Error("expected a Kvm4nfvError");
}

describe("defaultStorePath", () => {
  it("prefers $KVM4NFV_STORE, then $XDG_DATA_HOME, then ~/.local/share", () => {
    expect(defaultStorePath({ KVM4NFV_STORE: "/x/r.db", XDG_DATA_HOME: "/d" })).toBe("/x/r.db");
    expect(defaultStorePath({ XDG_DATA_HOME: "/d" })).toBe("/d/kvm4nfv/results.db");
    expect(defaultStorePath({})).toMatch(/\/\.local\/share\/kvm4nfv\/results\.db$/);
  });
});

describe("openStore", () => {
  it("creates missing directories, migrates an empty store to the latest version, in WAL mode", () => {
    const path = join(dir, "a", "b", "results.db");
    openStore(path).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(["cpu_results", "histograms", "raw_outputs", "runs", "sqlite_sequence"]);
    db.close();
  });

  it("re-opens an existing store without migrating again and keeps its runs", () => {
    const path = join(dir, "r.db");
    const s1 = openStore(path);
    const id = s1.saveRun(makeTimerRun());
    s1.close();
    const s2 = openStore(path);
    expect(s2.getRun(id).label).toBe("idle_idle");
    expect(s2.listRuns()).toHaveLength(1);
    s2.close();
  });

  it("refuses a file that is not SQLite with one clear exit-2 error", () => {
    const path = join(dir, "notes.txt");
    writeFileSync(path, "these are my notes, not a database\n".repeat(20));
    const err = thrown(() => openStore(path));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`${path} is not a kvm4nfv results store (not an SQLite database)`);
  });

  it("refuses another program's SQLite database and leaves it untouched", () => {
    const path = join(dir, "other.db");
    const other = new Database(path);
    other.exec(
      "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1,'a')",
    );
    other.close();
    const err = thrown(() => openStore(path));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("is not a kvm4nfv results store (an SQLite database of another program)");
    const again = new Database(path, { readonly: true });
    expect(again.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all()).toEqual([
      "customers",
    ]);
    expect(again.pragma("user_version", { simple: true })).toBe(0);
    again.close();
  });

  it("says which directory it could not create (a file in the way is the input's fault: exit 2)", () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "");
    const err = thrown(() => openStore(join(file, "sub", "results.db")));
    expect(err.code).toBe("USAGE");
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      `cannot create the results store directory ${join(file, "sub")}: a file is in the way`,
    );
  });

  it("refuses a store written by a newer kvm4nfv", () => {
    const path = join(dir, "new.db");
    openStore(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    const err = thrown(() => openStore(path));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`newer than this kvm4nfv understands (${LATEST_VERSION})`);
  });
});

describe("migrate", () => {
  it("applies only the migrations above user_version, in order, and is a no-op when current", () => {
    const db = new Database(":memory:");
    const log: number[] = [];
    const ms: Migration[] = [
      {
        version: 2,
        description: "b",
        up: (d) => {
          log.push(2);
          d.exec("ALTER TABLE t ADD COLUMN y");
        },
      },
      {
        version: 1,
        description: "a",
        up: (d) => {
          log.push(1);
          d.exec("CREATE TABLE t (x)");
        },
      },
    ];
    expect(migrate(db, ms.slice(1))).toEqual([1]);
    expect(migrate(db, ms)).toEqual([2]);
    expect(migrate(db, ms)).toEqual([]);
    expect(log).toEqual([1, 2]);
    expect(db.pragma("user_version", { simple: true })).toBe(2);
    db.close();
  });

  it("rolls a failing migration back whole, leaving the previous version", () => {
    const db = new Database(":memory:");
    const ms: Migration[] = [
      { version: 1, description: "a", up: (d) => d.exec("CREATE TABLE t (x)") },
      {
        version: 2,
        description: "broken",
        up: (d) => {
          d.exec("CREATE TABLE u (x)");
          throw new Error("boom");
        },
      },
    ];
    expect(() => migrate(db, ms)).toThrow("boom");
    expect(db.pragma("user_version", { simple: true })).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name='u'").all()).toEqual([]);
    db.close();
  });
});

describe("saveRun / getRun / listRuns", () => {
  it("round-trips a timer run exactly (all but the id)", () => {
    const store = openStore(join(dir, "r.db"));
    const run = makeTimerRun();
    const id = store.saveRun(run);
    expect(id).toBe(1);
    expect(store.getRun(id)).toEqual({ ...run, id });
    store.close();
  });

  it("round-trips a migration run, a TCG run and a CPU without histogram", () => {
    const store = openStore(join(dir, "r.db"));
    const mig = makeMigrationRun();
    const base = makeTimerRun();
    const tcg = makeTimerRun({
      environment: { ...base.environment, accelerator: "tcg" },
      cpus: [{ ...base.cpus[0]!, histogram: null }, base.cpus[1]!],
    });
    const a = store.saveRun(mig);
    const b = store.saveRun(tcg);
    expect(store.getRun(a)).toEqual({ ...mig, id: a });
    expect(store.getRun(b)).toEqual({ ...tcg, id: b });
    store.close();
  });

  it("an unknown id is a usage error naming the id and the store", () => {
    const path = join(dir, "r.db");
    const store = openStore(path);
    const err = thrown(() => store.getRun(42));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`no run 42 in ${path}`);
    store.close();
  });

  it("lists newest first, filtered by type and limited", () => {
    const store = openStore(join(dir, "r.db"));
    store.saveRun(makeTimerRun({ label: "old", startedAt: "2026-11-01T00:00:00.000Z" }));
    store.saveRun(makeMigrationRun());
    store.saveRun(makeTimerRun({ label: "new", startedAt: "2026-11-22T00:00:00.000Z" }, { maxUs: 30 }));
    const all = store.listRuns();
    expect(all.map((r) => r.label)).toEqual(["new", "idle guest 8G", "old"]);
    expect(all[0]).toMatchObject({ id: 3, type: "timer", cpuCount: 2, worstMaxUs: 30, status: "pass" });
    expect(all[1]).toMatchObject({ type: "migration", cpuCount: 0, worstMaxUs: null });
    expect(store.listRuns({ type: "timer" }).map((r) => r.id)).toEqual([3, 1]);
    expect(store.listRuns({ limit: 1 }).map((r) => r.id)).toEqual([3]);
    store.close();
  });

  it("saves nothing of a run that fails half-way (one transaction per run)", () => {
    const store = openStore(join(dir, "r.db"));
    const bad = makeTimerRun();
    // NOT NULL on samples: the run row and the first CPU are written, then this CPU fails.
    (bad.cpus[1] as { samples: unknown }).samples = null;
    const err = thrown(() => store.saveRun(bad));
    expect(err.code).toBe("STORE");
    expect(store.listRuns()).toEqual([]);
    store.close();
  });
});
