import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildImportedRun, buildImportedRuns, importAction } from "../../src/results/import.js";
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
      startedAt: "2026-11-20T10:00:00.000Z",
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

describe("importAction", () => {
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
        `imported ${FIX}/cyclictest-2.40-2threads-hist.txt as run 2 (timer, 2 CPUs, fail)`,
    );
    const s = openStore(store);
    expect(s.listRuns().map((r) => r.label)).toEqual(["lab", "lab"]);
    expect(s.getRun(2).cpus[0]!.histogram!.buckets.length).toBeGreaterThan(10);
    s.close();
  });
});
