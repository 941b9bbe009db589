import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatRun } from "../../src/results/format.js";
import { buildImportedRun, buildImportedRuns, importAction } from "../../src/results/import.js";
import { MIGRATIONS, migrate } from "../../src/results/migrations.js";
import { openStore } from "../../src/results/store.js";
import { makeTimerRun } from "./run-factory.js";

const FIX = "test/fixtures/rt-tests";
const MTIME = new Date("2026-11-20T10:00:00.000Z");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kvm4nfv-import-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("buildImportedRun", () => {
  it("turns a cyclictest --json file into a timer run with unknown environment and the file as raw", () => {
    const path = join(FIX, "cyclictest-2.40-2threads.json");
    const content = readFileSync(path, "utf8");
    const run = buildImportedRun(path, content, MTIME);
    expect(run).toMatchObject({
      id: null,
      type: "timer",
      label: "cyclictest-2.40-2threads",
      // the JSON's own "start_time", not the file's modification time
      startedAt: new Date(JSON.parse(content).start_time).toISOString(),
      environment: {
        hostname: null,
        kernelRelease: null,
        kernelCmdline: null,
        cpuModel: null,
        realtimeKernel: null,
        toolVersions: { cyclictest: "2.40" },
      },
      raw: { "cyclictest-2.40-2threads.json": content },
    });
    expect(run.params.format).toBe("cyclictest-json");
    expect(run.params.timesFrom).toBe("the tool's start_time/end_time");
    expect(run.cpus).toHaveLength(2);
    expect(run.cpus[1]!.maxUs).toBe(1173);
    expect(run.verdict.status).toBe("fail"); // the seeds' max 1000 µs, broken on CPU 1
    expect(run.verdict.breaches).toEqual([{ metric: "max", limitUs: 1000, observedUs: 1173, cpu: 1 }]);
  });

  it("takes a label and an SLA, and recognises oslat", () => {
    const path = join(FIX, "oslat-2.40-2cores.txt");
    const run = buildImportedRun(path, readFileSync(path, "utf8"), MTIME, {
      label: "lab oslat",
      sla: "max=200000",
    });
    expect(run.type).toBe("oslat");
    expect(run.label).toBe("lab oslat");
    expect(run.verdict.limits).toEqual([{ metric: "max", limitUs: 200000 }]);
  });

  it("accepts a kvm4nfv JSON export back (id dropped)", () => {
    const original = makeTimerRun({ id: 12 });
    const run = buildImportedRun("x.json", JSON.stringify(original), MTIME);
    expect(run).toEqual({ ...original, id: null });
  });

  it("accepts a multi-run JSON export as several runs, and refuses a broken one", () => {
    const a = makeTimerRun({ id: 1 });
    const b = makeTimerRun({ id: 2, label: "b" });
    expect(buildImportedRuns("all.json", JSON.stringify([a, b]), MTIME).map((r) => [r.id, r.label])).toEqual([
      [null, "idle_idle"],
      [null, "b"],
    ]);
    expect(() => buildImportedRuns("all.json", JSON.stringify([a, { x: 1 }]), MTIME)).toThrow(
      "all.json [1]: not a kvm4nfv run export",
    );
  });

  it("refuses a file that is no tool output, naming it (exit 2)", () => {
    expect(() => buildImportedRun("/x/notes.txt", "hello\n", MTIME)).toThrow(
      /notes\.txt: not rt-tests output/,
    );
  });
});

describe("buildImportedRun on real outputs of several rt-tests releases", () => {
  const load = (name: string) => {
    const path = join(FIX, name);
    return buildImportedRun(path, readFileSync(path, "utf8"), MTIME);
  };

  it("stores a -N JSON (36.9 µs, not 36887 µs) and judges the SLA on µs", () => {
    const run = load("cyclictest-2.4-nsecs-h100000.json");
    expect(run.params.unitInFile).toBe("ns");
    expect(run.cpus[0]!.minUs).toBe(15.407);
    expect(run.cpus[0]!.maxUs).toBe(4399.409);
    expect(run.verdict.breaches).toEqual([{ metric: "max", limitUs: 1000, observedUs: 4399.409, cpu: 1 }]);
  });

  it("a run without -h has min/avg/max and no percentiles, and says so", () => {
    const run = load("cyclictest-2.2-nohist.json");
    expect(run.cpus[0]!.percentiles).toEqual({});
    expect(run.params.notes).toContain(
      "no histogram (cyclictest ran without -h): min/avg/max only, no percentiles",
    );
    expect(run.verdict.status).toBe("pass"); // min 16, avg 40.89, max 593 within the seeds' 50/100/1000
  });

  it("threads whose CPU is unknown are stored as threads, and the verdict says 'thread N'", () => {
    const run = load("cyclictest-1.10-2threads-hist.txt");
    expect(run.params.cpusKnown).toBe(false);
    expect(run.verdict.summary).toMatch(/on thread \d/);
    expect(run.verdict.summary).not.toMatch(/on CPU/);
    const pinned = buildImportedRun(
      join(FIX, "x.txt"),
      readFileSync(join(FIX, "cyclictest-1.10-2threads-hist.txt"), "utf8"),
      MTIME,
      {
        cmdline: "cyclictest -m -p 99 -i 1000 -l 1000 -t 2 -a 0,1 -h 100 -q",
      },
    );
    expect(pinned.params.cpusKnown).toBe(true);
    expect(pinned.verdict.summary).toMatch(/on CPU [01]/);
    // `results show` says THREAD, and the notes
    const shown = formatRun(run);
    expect(shown).toMatch(/^THREAD +MIN/m);
    expect(shown).toContain("note: the histogram names threads, not CPUs");
    expect(formatRun(pinned)).toMatch(/^CPU +MIN/m);
  });

  it("text without a start time keeps the file's modification time, and says so", () => {
    const run = load("oslat-2.6-W500.txt");
    expect(run.startedAt).toBe(MTIME.toISOString());
    expect(run.params.timesFrom).toBe("file modification time");
  });

  it.each([
    ["signaltest-2.0.json", /signaltest --json output/],
    ["pmqtest-2.2.json", /pmqtest --json output/],
    ["ptsematest-2.10.json", /ptsematest --json output/],
    ["cyclicdeadline-2.4.json", /cyclicdeadline --json output/],
    ["hwlatdetect-2.10-no-tracer.txt", /hwlatdetect output/],
    ["cyclictest-2.10-verbose.txt", /cyclictest -v output/],
  ])("never stores %s as a timer run", (name, message) => {
    expect(() => load(name)).toThrow(message);
  });
});

describe("store migration 2 (fractional histogram width)", () => {
  it("upgrades a version-1 store keeping its histograms, then stores a 0.2 µs wide one", () => {
    const path = join(dir, "v1.db");
    const db = new Database(path);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version === 1),
    );
    db.prepare(
      `INSERT INTO runs (id, type, label, started_at, ended_at, params, environment, metrics, verdict_status, verdict)
       VALUES (1, 'timer', 'old', 't', 't', '{}', '{"toolVersions":{}}', '{}', 'pass', '{}')`,
    ).run();
    db.prepare("INSERT INTO cpu_results VALUES (1, 0, 3, 0, 5, 6, 70, 100, 2, '{}')").run();
    db.prepare("INSERT INTO histograms VALUES (1, 0, 3, 50, 2, '[[5,60],[6,38]]')").run();
    // why migration 2 exists: version 1 refuses a sub-µs width
    expect(() => db.prepare("INSERT INTO histograms VALUES (1, 1, 3, 0.2, 0, '[]')").run()).toThrow(
      /cannot store REAL value in INTEGER column/,
    );
    db.close();
    importAction([join(FIX, "cyclictest-2.0-nsecs.json")], { store: path });
    const s = openStore(path);
    expect(s.getRun(1).cpus[0]!.histogram).toEqual({
      buckets: [
        [5, 60],
        [6, 38],
      ],
      overflows: 2,
      maxUs: 50,
    });
    expect(s.getRun(2).cpus[0]!.histogram!.maxUs).toBe(0.2);
    s.close();
  });
});

describe("importAction", () => {
  it("round-trips sub-µs figures through the store (-N -h 200: 0.2 µs wide; oslat -W 500: 0.5 µs buckets)", () => {
    const store = join(dir, "r.db");
    importAction([join(FIX, "cyclictest-2.0-nsecs.json"), join(FIX, "oslat-2.10-W500.json")], { store });
    const s = openStore(store);
    const ns = s.getRun(1);
    expect(ns.cpus[0]!.minUs).toBe(11.739);
    expect(ns.cpus[0]!.histogram!.maxUs).toBe(0.2);
    expect(ns.cpus[0]!.percentiles.p50).toEqual({ valueUs: 0.2, inOverflow: true });
    const os = s.getRun(2);
    expect(os.type).toBe("oslat");
    expect(os.cpus[0]!.histogram!.buckets[0]![0]).toBe(0.5);
    expect(os.cpus[0]!.histogram!.maxUs).toBe(7.5);
    expect(os.cpus[0]!.overflows).toBe(709);
    expect(os.startedAt).toBe("2026-12-01T21:21:20.000Z");
    s.close();
  });

  it("stores every file as a run, and nothing when one file is bad", () => {
    const store = join(dir, "r.db");
    const bad = join(dir, "bad.txt");
    writeFileSync(bad, "not a tool output\n");
    expect(() => importAction([join(FIX, "cyclictest-2.40-1thread.json"), bad], { store })).toThrow(
      /bad\.txt/,
    );
    expect(() => importAction([join(dir, "missing.json")], { store })).toThrow(
      `cannot import ${join(dir, "missing.json")}: no such file`,
    );
    const out = importAction(
      [join(FIX, "cyclictest-2.40-1thread.json"), join(FIX, "cyclictest-2.40-2threads-hist.txt")],
      {
        store,
        label: "lab",
      },
    );
    expect(out.text).toBe(
      `imported ${FIX}/cyclictest-2.40-1thread.json as run 1 (timer, 1 CPU, fail)\n` +
        `imported ${FIX}/cyclictest-2.40-2threads-hist.txt as run 2 (timer, 2 threads, CPUs unknown, fail)\n` +
        "  note: the histogram names threads, not CPUs, and no -a was given: CPUs unknown\n" +
        "  note: unit taken as µs (cyclictest's default; the text does not say, -N would make it ns)",
    );
    const s = openStore(store);
    expect(s.listRuns().map((r) => r.label)).toEqual(["lab", "lab"]);
    expect(s.getRun(2).cpus[0]!.histogram!.buckets.length).toBeGreaterThan(10);
    s.close();
  });
});
