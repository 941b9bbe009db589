/**
 * `results export --format influx` written to a real InfluxDB 1.6 (Debian's influxdb, influxd started here on a
 * free loopback port with its own temp dirs — test/consumers/influxd.ts) through /write, and read back through
 * /query: values, field types, tag values and one series per run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/measure/types.js";
import { exportRuns } from "../../src/results/export.js";
import { makeMigrationRun, makeTimerRun } from "../results/run-factory.js";
import { type Influxd, type InfluxSeries, startInfluxd } from "./influxd.js";

let db: Influxd;
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-influx-"));
beforeAll(async () => {
  db = await startInfluxd();
}, 60_000);
afterAll(async () => {
  await db?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let dbs = 0;
async function freshDb(): Promise<string> {
  const name = `t${dbs++}`;
  await db.query("", `CREATE DATABASE ${name}`);
  return name;
}

async function write(name: string, runs: RunRecord[]): Promise<void> {
  const r = await db.write(name, exportRuns(runs, "influx"));
  expect(r.text).toBe("");
  expect(r.status).toBe(204);
}

async function series(name: string, q: string): Promise<InfluxSeries[]> {
  const r = await db.query(name, q);
  expect(r.results[0]?.error).toBeUndefined();
  return r.results[0]?.series ?? [];
}

/** rows of a one-series answer as objects */
function rows(s: InfluxSeries[]): Record<string, unknown>[] {
  return s.flatMap((x) => x.values.map((v) => Object.fromEntries(x.columns.map((c, i) => [c, v[i]]))));
}

describe("InfluxDB 1.6 accepts and stores the export", () => {
  it("stores every value, counts as integers, and the lower-bound flags", async () => {
    const name = await freshDb();
    const run = makeTimerRun({ id: 7 });
    await write(name, [run]);
    const got = rows(await series(name, `SELECT * FROM kvm4nfv_timer WHERE run = '7' ORDER BY time`));
    expect(got).toHaveLength(run.cpus.length);
    for (const c of run.cpus) {
      const row = got.find((r) => r.cpu === String(c.cpu))!;
      expect(row).toMatchObject({
        min: c.minUs,
        avg: c.avgUs,
        max: c.maxUs,
        samples: c.samples,
        overflows: c.overflows,
        host: "pod1-node2",
        label: "idle_idle",
        test: "timer",
      });
      for (const [k, p] of Object.entries(c.percentiles)) expect(row[k]).toBe(p.valueUs);
      expect(row.time).toBe(Date.parse(run.startedAt) * 1_000_000);
    }
    const types = Object.fromEntries(
      (await series(name, "SHOW FIELD KEYS FROM kvm4nfv_timer"))[0]!.values as [string, string][],
    );
    expect(types).toMatchObject({ samples: "integer", overflows: "integer", min: "float", p99: "float" });
  });

  it("keeps two runs with the same start, host and label apart: the run id is a tag", async () => {
    const name = await freshDb();
    const a = makeTimerRun({ id: 1 });
    const b = makeTimerRun({ id: 2 }, { maxUs: 40 });
    await write(name, [a, b]);
    const got = rows(await series(name, "SELECT max, run, cpu FROM kvm4nfv_timer"));
    expect(got).toHaveLength(4);
    expect(got.filter((r) => r.run === "2").map((r) => r.max)).toEqual(b.cpus.map((c) => c.maxUs));
    expect(got.filter((r) => r.run === "1").map((r) => r.max)).toEqual(a.cpus.map((c) => c.maxUs));
  });

  it("stores tag values with every special character, as written (a backslash it cannot carry as /)", async () => {
    const name = await freshDb();
    const labels: Array<[string, string]> = [
      ["memory stress,a=b", "memory stress,a=b"],
      ["ends with a backslash\\", "ends with a backslash/"],
      ["C:\\path\\", "C:\\path/"],
      ["two\\\\", "two\\/"],
      ["back\\ slash, then\\=equals", "back/ slash, then/=equals"],
      ['quote"and\\middle', 'quote"and\\middle'],
      ["new\nline", "new line"],
    ];
    const runs = labels.map(([label], i) => makeTimerRun({ id: 10 + i, label }));
    runs[0]!.environment.hostname = "pod 1,rack=2\\";
    await write(name, runs);
    const got = await series(name, "SHOW TAG VALUES FROM kvm4nfv_timer WITH KEY = label");
    expect(got[0]!.values.map((v) => v[1]).sort()).toEqual(labels.map(([, stored]) => stored).sort());
    const hosts = await series(name, "SHOW TAG VALUES FROM kvm4nfv_timer WITH KEY = host");
    expect(hosts[0]!.values.map((v) => v[1])).toContain("pod 1,rack=2/");
  });

  it("stores migration metrics: byte counts as integers, times as floats, strings quoted", async () => {
    const name = await freshDb();
    const run = makeMigrationRun({ id: 5 });
    run.metrics = { ...run.metrics, passes: 3, zero_pages: 2_000_000, note: 'said "ok" \\o/' };
    await write(name, [run]);
    const [row] = rows(await series(name, "SELECT * FROM kvm4nfv_migration"));
    expect(row).toMatchObject({
      total_time_ms: 1522,
      transferred_bytes: 412_000_000,
      passes: 3,
      zero_pages: 2_000_000,
      status: "completed",
      note: 'said "ok" \\o/',
      run: "5",
    });
    const types = Object.fromEntries(
      (await series(name, "SHOW FIELD KEYS FROM kvm4nfv_migration"))[0]!.values as [string, string][],
    );
    expect(types).toMatchObject({ transferred_bytes: "integer", passes: "integer", total_time_ms: "float" });
  });

  it("accepts what `results export` prints for real imported rt-tests files", async () => {
    const name = await freshDb();
    const store = join(tmp, "results.db");
    const fix = join(import.meta.dirname, "../fixtures/rt-tests");
    const files = [
      "cyclictest-2.40-2threads.json",
      "cyclictest-2.10-2threads-hist.txt",
      "oslat-2.40-1core.json",
    ];
    const cli = (...a: string[]) => spawnSync("node", ["bin/kvm4nfv.js", ...a], { encoding: "utf8" });
    expect(cli("results", "import", ...files.map((f) => join(fix, f)), "--store", store).status).toBe(0);
    const out = cli("results", "export", "1", "2", "3", "--format", "influx", "--store", store);
    expect(out.status).toBe(0);
    const w = await db.write(name, out.stdout);
    expect(w.text).toBe("");
    const runsSeen = new Set(rows(await series(name, "SELECT * FROM /kvm4nfv_.*/")).map((r) => r.run));
    expect([...runsSeen].sort()).toEqual(["1", "2", "3"]);
  });
});

describe("what the real InfluxDB refuses (why the export is written as it is)", () => {
  it("rejects a tag value ending in an escaped backslash, and a count first written as a float", async () => {
    const name = await freshDb();
    expect((await db.write(name, "m,label=x\\\\ v=1 1")).status).toBe(400);
    expect((await db.write(name, "m samples=5 1")).status).toBe(204);
    const conflict = await db.write(name, "m samples=5i 2");
    expect(conflict.status).toBe(400);
    expect(conflict.text).toMatch(/field type conflict/);
  });
});
