/**
 * The results store's schema, as an ordered list of migrations. The schema version lives in SQLite's own
 * `PRAGMA user_version` (no extra table to get out of step), and `PRAGMA application_id` marks the file as
 * ours so that a random SQLite database handed to --store is refused instead of being written into.
 *
 * Rules: never edit a released migration, only append one; each runs in its own transaction together with
 * the user_version bump, so a crash leaves the store at the previous version, never half-migrated.
 */
import type Database from "better-sqlite3";

/** "KVM4" in ASCII: the application_id stamped on every kvm4nfv store. */
export const APPLICATION_ID = 0x4b564d34;

export interface Migration {
  version: number;
  description: string;
  up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "runs, per-CPU results, histograms, raw tool outputs",
    up: (db) => {
      db.exec(`
        CREATE TABLE runs (
          id             INTEGER PRIMARY KEY AUTOINCREMENT,
          type           TEXT NOT NULL,
          label          TEXT NOT NULL,
          started_at     TEXT NOT NULL,
          ended_at       TEXT NOT NULL,
          params         TEXT NOT NULL,          -- JSON object
          environment    TEXT NOT NULL,          -- JSON RunEnvironment
          hostname       TEXT,                   -- copied out of environment for listing/filtering
          accelerator    TEXT,                   -- "kvm" | "tcg" | NULL (host runs)
          metrics        TEXT NOT NULL,          -- JSON object
          verdict_status TEXT NOT NULL,
          verdict        TEXT NOT NULL           -- JSON Verdict
        ) STRICT;
        CREATE INDEX runs_type_started ON runs (type, started_at);

        -- ord keeps the record's CPU order (a run may list CPUs in any order, and cpu alone need not be unique).
        CREATE TABLE cpu_results (
          run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          ord         INTEGER NOT NULL,
          cpu         INTEGER NOT NULL,
          thread      INTEGER NOT NULL,
          min_us      REAL NOT NULL,
          avg_us      REAL NOT NULL,
          max_us      REAL NOT NULL,
          samples     INTEGER NOT NULL,
          overflows   INTEGER NOT NULL,
          percentiles TEXT NOT NULL,             -- JSON Partial<Record<PercentileKey, Percentile>>
          PRIMARY KEY (run_id, ord)
        ) STRICT;

        CREATE TABLE histograms (
          run_id    INTEGER NOT NULL,
          ord       INTEGER NOT NULL,
          cpu       INTEGER NOT NULL,
          max_us    INTEGER NOT NULL,
          overflows INTEGER NOT NULL,
          buckets   TEXT NOT NULL,               -- JSON [[latencyUs, count], ...], non-empty buckets only
          PRIMARY KEY (run_id, ord),
          FOREIGN KEY (run_id, ord) REFERENCES cpu_results (run_id, ord) ON DELETE CASCADE
        ) STRICT;

        CREATE TABLE raw_outputs (
          run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          name    TEXT NOT NULL,
          content TEXT NOT NULL,
          PRIMARY KEY (run_id, name)
        ) STRICT;
      `);
    },
  },
  {
    // Sub-µs histogram widths are real: cyclictest -N -h 200 is 0.2 µs wide, oslat -W 500 -b 16 7.5 µs.
    // STRICT refuses a REAL in an INTEGER column, so the table is rebuilt with max_us REAL (values kept).
    version: 2,
    description: "histogram width (max_us) may be fractional µs",
    up: (db) => {
      db.exec(`
        CREATE TABLE histograms_v2 (
          run_id    INTEGER NOT NULL,
          ord       INTEGER NOT NULL,
          cpu       INTEGER NOT NULL,
          max_us    REAL NOT NULL,
          overflows INTEGER NOT NULL,
          buckets   TEXT NOT NULL,               -- JSON [[latencyUs, count], ...], non-empty buckets only
          PRIMARY KEY (run_id, ord),
          FOREIGN KEY (run_id, ord) REFERENCES cpu_results (run_id, ord) ON DELETE CASCADE
        ) STRICT;
        INSERT INTO histograms_v2 SELECT run_id, ord, cpu, max_us, overflows, buckets FROM histograms;
        DROP TABLE histograms;
        ALTER TABLE histograms_v2 RENAME TO histograms;
      `);
    },
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/**
 * Bring `db` from its current user_version up to the newest migration in `migrations`.
 * Returns the versions applied (empty when already current).
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const applied: number[] = [];
  for (const m of ordered) {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (m.version <= current) continue;
    // immediate: take the write lock up front so two kvm4nfv processes opening a fresh store do not both migrate.
    db.transaction(() => {
      const again = db.pragma("user_version", { simple: true }) as number;
      if (m.version <= again) return;
      m.up(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}
