/**
 * The results store: every measured (or imported) run, kept in one SQLite file so runs can be listed,
 * compared, exported and reported long after the measurement.
 *
 * Durability: WAL journal + synchronous=FULL, and one transaction per run. A kvm4nfv killed mid-save
 * (SIGKILL, OOM, power cut) loses at most the run being saved; earlier runs and the file stay intact.
 * FULL rather than NORMAL because a run can be an hour of cyclictest: one extra fsync per run is nothing.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { InputError, Kvm4nfvError, UsageError } from "../errors.js";
import type { CpuResult, RunEnvironment, RunRecord, TestType, Verdict } from "../measure/types.js";
import { APPLICATION_ID, LATEST_VERSION, migrate } from "./migrations.js";

export interface RunSummary {
  id: number;
  type: TestType;
  label: string;
  startedAt: string;
  endedAt: string;
  hostname: string | null;
  accelerator: "kvm" | "tcg" | null;
  status: Verdict["status"];
  summary: string;
  cpuCount: number;
  /** Worst max latency over the run's CPUs (µs); null for runs without CPU results (migration). */
  worstMaxUs: number | null;
}

export interface ListOptions {
  type?: TestType;
  /** Only runs made on this pod node (params.node, set by `--node`). */
  node?: string;
  /** Newest first; at most this many. */
  limit?: number;
}

export interface Store {
  readonly path: string;
  saveRun(run: RunRecord): number;
  getRun(id: number): RunRecord;
  listRuns(options?: ListOptions): RunSummary[];
  close(): void;
}

/** $KVM4NFV_STORE, else $XDG_DATA_HOME/kvm4nfv/results.db, else ~/.local/share/kvm4nfv/results.db. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KVM4NFV_STORE) return env.KVM4NFV_STORE;
  const base = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(base, "kvm4nfv", "results.db");
}

const SQLITE_MAGIC = "SQLite format 3\0";

/** Refuse, before SQLite touches it, a file that is not an SQLite database at all. */
function checkHeader(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path} is a directory, not a results store`);
    size = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (size === 0) return; // an empty file is a new store (SQLite treats it the same way)
  const buf = Buffer.alloc(16);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.toString("latin1") !== SQLITE_MAGIC) {
    throw new InputError("BAD_INPUT", `${path} is not a kvm4nfv results store (not an SQLite database)`);
  }
}

/** Refuse an SQLite database that some other program made (never write our tables into it). */
function checkOwnership(db: Database.Database, path: string): void {
  const appId = db.pragma("application_id", { simple: true }) as number;
  const version = db.pragma("user_version", { simple: true }) as number;
  const tables = (
    db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").get() as {
      n: number;
    }
  ).n;
  const fresh = appId === 0 && version === 0 && tables === 0;
  if (!fresh && appId !== APPLICATION_ID) {
    throw new InputError(
      "BAD_INPUT",
      `${path} is not a kvm4nfv results store (an SQLite database of another program)`,
      "pass --store with a new file name or an existing kvm4nfv store",
    );
  }
  if (version > LATEST_VERSION) {
    throw new InputError(
      "BAD_INPUT",
      `${path} has store schema version ${version}, newer than this kvm4nfv understands (${LATEST_VERSION})`,
      "upgrade kvm4nfv",
    );
  }
}

const DAMAGED_HINT =
  "move it aside (it is not changed) and kvm4nfv starts a new store there, or pass --store NEW.db";
const UNWRITABLE_HINT = "make the file and its directory writable, or pass --store with a file you can write";

/**
 * What an SQLite failure means for the user: a damaged file is input (exit 2), a file or directory that cannot be
 * opened or written — read-only, full, locked by another program — is the environment (exit 3), anything else a
 * store failure (exit 4). Each says what to do.
 */
export function storeFailure(err: unknown, path: string, doing: string): Kvm4nfvError {
  if (err instanceof Kvm4nfvError) return err;
  const code = String((err as { code?: string }).code ?? "");
  const message = (err as Error).message ?? String(err);
  if (/^SQLITE_(CORRUPT|NOTADB|FORMAT)/.test(code)) {
    return new InputError("BAD_INPUT", `${path} is not a kvm4nfv results store (${message})`, DAMAGED_HINT);
  }
  if (
    /^SQLITE_(READONLY|CANTOPEN|PERM|AUTH|IOERR|FULL|BUSY|LOCKED)/.test(code) ||
    /^E(ACCES|ROFS|PERM|NOSPC)$/.test(code)
  ) {
    return new Kvm4nfvError("PERMISSION", `cannot ${doing} results store ${path}: ${message}`, {
      hint: UNWRITABLE_HINT,
      cause: err,
    });
  }
  return new Kvm4nfvError("STORE", `cannot ${doing} results store ${path}: ${message}`, { cause: err });
}

export function openStore(path: string = defaultStorePath()): Store {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") {
      throw new UsageError(
        `cannot create the results store directory ${dirname(path)}: a file is in the way`,
        "pass --store with a path in a directory",
      );
    }
    throw new Kvm4nfvError("PERMISSION", `cannot create the results store directory ${dirname(path)}`, {
      hint: `${(err as Error).message}; ${UNWRITABLE_HINT}`,
      cause: err,
    });
  }
  checkHeader(path);
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    throw storeFailure(err, path, "open");
  }
  try {
    // Another kvm4nfv may be saving a run right now: wait for its lock instead of failing at once.
    db.pragma("busy_timeout = 5000");
    checkOwnership(db, path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db);
    return new SqliteStore(db, path);
  } catch (err) {
    db.close();
    throw storeFailure(err, path, "open");
  }
}

interface RunRow {
  id: number;
  type: TestType;
  label: string;
  started_at: string;
  ended_at: string;
  params: string;
  environment: string;
  hostname: string | null;
  accelerator: "kvm" | "tcg" | null;
  metrics: string;
  verdict_status: Verdict["status"];
  verdict: string;
}

interface CpuRow {
  ord: number;
  cpu: number;
  thread: number;
  min_us: number;
  avg_us: number;
  max_us: number;
  samples: number;
  overflows: number;
  percentiles: string;
  h_max_us: number | null;
  h_overflows: number | null;
  buckets: string | null;
}

class SqliteStore implements Store {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly insertRun: Database.Statement;
  private readonly insertCpu: Database.Statement;
  private readonly insertHist: Database.Statement;
  private readonly insertRaw: Database.Statement;
  private readonly saveTx: (run: RunRecord) => number;

  constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.insertRun = db.prepare(
      `INSERT INTO runs (type, label, started_at, ended_at, params, environment, hostname, accelerator,
                         metrics, verdict_status, verdict)
       VALUES (@type, @label, @startedAt, @endedAt, @params, @environment, @hostname, @accelerator,
               @metrics, @status, @verdict)`,
    );
    this.insertCpu = db.prepare(
      `INSERT INTO cpu_results (run_id, ord, cpu, thread, min_us, avg_us, max_us, samples, overflows, percentiles)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertHist = db.prepare(
      "INSERT INTO histograms (run_id, ord, cpu, max_us, overflows, buckets) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.insertRaw = db.prepare("INSERT INTO raw_outputs (run_id, name, content) VALUES (?, ?, ?)");
    // One transaction per run: either the whole run (CPUs, histograms, raw outputs) is stored or none of it.
    this.saveTx = db.transaction((run: RunRecord) => {
      const info = this.insertRun.run({
        type: run.type,
        label: run.label,
        startedAt: run.startedAt,
        endedAt: run.endedAt,
        params: JSON.stringify(run.params),
        environment: JSON.stringify(run.environment),
        hostname: run.environment.hostname ?? null,
        accelerator: run.environment.accelerator ?? null,
        metrics: JSON.stringify(run.metrics),
        status: run.verdict.status,
        verdict: JSON.stringify(run.verdict),
      });
      const id = Number(info.lastInsertRowid);
      run.cpus.forEach((c, ord) => {
        this.insertCpu.run(
          id,
          ord,
          c.cpu,
          c.thread,
          c.minUs,
          c.avgUs,
          c.maxUs,
          c.samples,
          c.overflows,
          JSON.stringify(c.percentiles),
        );
        if (c.histogram) {
          const h = c.histogram;
          this.insertHist.run(id, ord, c.cpu, h.maxUs, h.overflows, JSON.stringify(h.buckets));
        }
      });
      for (const [name, content] of Object.entries(run.raw)) this.insertRaw.run(id, name, content);
      return id;
    });
  }

  saveRun(run: RunRecord): number {
    try {
      return this.saveTx(run);
    } catch (err) {
      throw storeFailure(err, this.path, "save a run to");
    }
  }

  getRun(id: number): RunRecord {
    try {
      return this.readRun(id);
    } catch (err) {
      throw storeFailure(err, this.path, "read");
    }
  }

  private readRun(id: number): RunRecord {
    const row = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
    if (!row)
      throw new UsageError(`no run ${id} in ${this.path}`, "list the runs with `kvm4nfv results list`");
    const cpuRows = this.db
      .prepare(
        `SELECT c.ord, c.cpu, c.thread, c.min_us, c.avg_us, c.max_us, c.samples, c.overflows, c.percentiles,
                h.max_us AS h_max_us, h.overflows AS h_overflows, h.buckets
           FROM cpu_results c LEFT JOIN histograms h ON h.run_id = c.run_id AND h.ord = c.ord
          WHERE c.run_id = ? ORDER BY c.ord`,
      )
      .all(id) as CpuRow[];
    const cpus: CpuResult[] = cpuRows.map((r) => ({
      cpu: r.cpu,
      thread: r.thread,
      minUs: r.min_us,
      avgUs: r.avg_us,
      maxUs: r.max_us,
      samples: r.samples,
      overflows: r.overflows,
      histogram:
        r.buckets === null
          ? null
          : { buckets: JSON.parse(r.buckets), overflows: r.h_overflows ?? 0, maxUs: r.h_max_us ?? 0 },
      percentiles: JSON.parse(r.percentiles),
    }));
    const raw: Record<string, string> = {};
    const rawRows = this.db
      .prepare("SELECT name, content FROM raw_outputs WHERE run_id = ? ORDER BY rowid")
      .all(id) as Array<{ name: string; content: string }>;
    for (const r of rawRows) raw[r.name] = r.content;
    return {
      id: row.id,
      type: row.type,
      label: row.label,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      params: JSON.parse(row.params),
      environment: JSON.parse(row.environment) as RunEnvironment,
      cpus,
      metrics: JSON.parse(row.metrics),
      raw,
      verdict: JSON.parse(row.verdict) as Verdict,
    };
  }

  listRuns(options: ListOptions = {}): RunSummary[] {
    try {
      return this.readList(options);
    } catch (err) {
      throw storeFailure(err, this.path, "read");
    }
  }

  private readList(options: ListOptions): RunSummary[] {
    const conds = [
      ...(options.type ? ["r.type = @type"] : []),
      ...(options.node !== undefined ? ["json_extract(r.params, '$.node') = @node"] : []),
    ];
    const where = conds.length > 0 ? `WHERE ${conds.join(" AND ")}` : "";
    const limit = options.limit !== undefined ? "LIMIT @limit" : "";
    const rows = this.db
      .prepare(
        `SELECT r.id, r.type, r.label, r.started_at, r.ended_at, r.hostname, r.accelerator, r.verdict_status,
                json_extract(r.verdict, '$.summary') AS summary,
                (SELECT count(*) FROM cpu_results c WHERE c.run_id = r.id) AS cpu_count,
                (SELECT max(c.max_us) FROM cpu_results c WHERE c.run_id = r.id) AS worst_max
           FROM runs r ${where} ORDER BY r.started_at DESC, r.id DESC ${limit}`,
      )
      .all({
        ...(options.type ? { type: options.type } : {}),
        ...(options.node !== undefined ? { node: options.node } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      }) as Array<
      Pick<RunRow, "id" | "type" | "label" | "started_at" | "ended_at" | "hostname" | "accelerator"> & {
        verdict_status: Verdict["status"];
        summary: string | null;
        cpu_count: number;
        worst_max: number | null;
      }
    >;
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      label: r.label,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      hostname: r.hostname,
      accelerator: r.accelerator,
      status: r.verdict_status,
      summary: r.summary ?? "",
      cpuCount: r.cpu_count,
      worstMaxUs: r.worst_max,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The --store option every command that reads or writes runs shares (undefined: the default path). */
export interface StoreOption {
  store?: string | undefined;
}

/** Open the store, run fn, close the store whatever happens. */
export function withStore<T>(option: StoreOption, fn: (store: Store) => T): T {
  const store = openStore(option.store);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
