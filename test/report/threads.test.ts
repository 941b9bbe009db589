/**
 * Issue #11 §1 "Which CPU": a histogram text without its command line names threads, not CPUs. Imported from
 * real rt-tests captures, such a run (params.cpusKnown false) must read "thread N" everywhere it is shown:
 * `results show` (test/results/import.test.ts), `results compare`, `report` (HTML) and `results export`
 * (JUnit, InfluxDB) — a thread index is never printed as a CPU number, and never matched to another run's CPU.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderReport } from "../../src/report/html.js";
import { compareRuns } from "../../src/results/compare.js";
import { exportRuns } from "../../src/results/export.js";
import { formatComparison } from "../../src/results/format.js";
import { buildImportedRun } from "../../src/results/import.js";

const FIX = "test/fixtures/rt-tests";
const MTIME = new Date("2026-11-20T10:00:00.000Z");
const load = (file: string, cmdline?: string, id = 1) => ({
  ...buildImportedRun(
    join(FIX, file),
    readFileSync(join(FIX, file), "utf8"),
    MTIME,
    cmdline ? { cmdline } : {},
  ),
  id,
});

// rt-tests 1.10 `cyclictest -m -p 99 -i 1000 -l 1000 -t 2 -a 0,1 -h 100 -q`, imported without its command line:
// threads 0 and 1, CPUs unknown; it breaks avg on thread 1 and max on thread 0.
const threads = () => load("cyclictest-1.10-2threads-hist.txt", undefined, 1);
// rt-tests 2.10 `cyclictest … -t 1 -a 1 -h 200 -q`, imported with its command line: thread 0 ran on CPU 1.
const pinned = () =>
  load("cyclictest-2.10-a1-hist.txt", "cyclictest -m -p 99 -i 1000 -l 1000 -t 1 -a 1 -h 200 -q", 2);

describe("a run that names threads only is shown by thread", () => {
  it("the fixtures are what the tests below assume", () => {
    expect(threads().params.cpusKnown).toBe(false);
    expect(threads().cpus.map((c) => [c.cpu, c.thread])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(pinned().params.cpusKnown).toBe(true);
    expect(pinned().cpus.map((c) => [c.cpu, c.thread])).toEqual([[1, 0]]);
  });

  it("results compare of two such runs matches and labels threads", () => {
    const c = compareRuns(threads(), { ...threads(), id: 3 });
    expect(c.matchedBy).toBe("thread");
    expect(c.cpus.map((x) => [x.cpu, x.thread])).toEqual([
      [null, 0],
      [null, 1],
    ]);
    const text = formatComparison(c);
    expect(text).toMatch(/^thread 0 +min/m);
    expect(text).not.toMatch(/^cpu \d/m);
    expect(text).toContain("matched by thread");
  });

  it("results compare against a pinned run matches thread to thread, never thread 1 to CPU 1", () => {
    const c = compareRuns(pinned(), threads());
    expect(c.matchedBy).toBe("thread");
    const t0 = c.cpus.find((x) => x.thread === 0)!;
    expect(t0.inA && t0.inB).toBe(true);
    const max = t0.metrics.find((m) => m.metric === "max")!;
    expect([max.a, max.b]).toEqual([pinned().cpus[0]!.maxUs, threads().cpus[0]!.maxUs]);
    expect(c.cpus.find((x) => x.thread === 1)).toMatchObject({ inA: false, inB: true });
    // two pinned runs still match by CPU
    const both = compareRuns(pinned(), { ...pinned(), id: 4 });
    expect(both.matchedBy).toBe("cpu");
    expect(both.cpus.map((x) => x.cpu)).toEqual([1]);
    expect(formatComparison(both)).toMatch(/^cpu 1 +min/m);
  });

  it("the HTML report never calls a thread a CPU: verdict, table, plot legend, comparison", () => {
    const html = renderReport([threads()], { generatedAt: "2026-11-20T10:00:00Z" });
    expect(html).toContain("on thread 1");
    expect(html).toContain("on thread 0");
    expect(html).not.toMatch(/on CPU \d/);
    expect(html).not.toMatch(/CPU \d+\/\d+/); // the plot's series names
    expect(html).toMatch(/<tr><th><span class="muted">unknown<\/span><\/th><td>0<\/td>/);
    const cmp = renderReport([pinned(), threads()], { generatedAt: "2026-11-20T10:00:00Z" });
    const section = cmp.slice(cmp.indexOf('id="comparison"'));
    expect(section).toMatch(/<tr><th>thread 0<\/th><th>max<\/th>/);
    expect(section).not.toMatch(/<th>CPU \d/);
    expect(section).toContain("Matched by thread");
    // a report of pinned runs is unchanged: CPU rows
    const ok = renderReport([pinned(), { ...pinned(), id: 4 }], { generatedAt: "2026-11-20T10:00:00Z" });
    expect(ok.slice(ok.indexOf('id="comparison"'))).toMatch(/<tr><th>CPU 1<\/th><th>max<\/th>/);
  });

  it("JUnit says 'on thread N' and InfluxDB tags the thread, not a cpu", () => {
    const junit = exportRuns([threads()], "junit");
    expect(junit).toMatch(/us on thread [01]/);
    expect(junit).not.toMatch(/on CPU/);
    const influx = exportRuns([threads()], "influx");
    expect(influx).toMatch(/^kvm4nfv_timer,.*thread=0/m);
    expect(influx).not.toMatch(/,cpu=/);
    expect(exportRuns([pinned()], "influx")).toMatch(/^kvm4nfv_timer,cpu=1,/m);
  });
});
