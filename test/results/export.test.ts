import { describe, expect, it } from "vitest";
import { exportRuns, influxKey, parseFormat } from "../../src/results/export.js";
import { xmlEscape } from "../../src/xml.js";
import { makeMigrationRun, makeTimerRun } from "./run-factory.js";

describe("json", () => {
  it("is the RunRecord itself", () => {
    const run = makeTimerRun({ id: 3 });
    expect(JSON.parse(exportRuns([run], "json"))).toEqual(run);
  });
});

describe("influx line protocol", () => {
  it("writes one line per CPU with escaped tags, the run id tag, float values, integer counts and a ns timestamp", () => {
    const run = makeTimerRun({ id: 3, label: "memory stress,a=b" });
    run.environment.hostname = "pod 1";
    run.cpus = [
      {
        cpu: 2,
        thread: 0,
        minUs: 3,
        avgUs: 5.25,
        maxUs: 16,
        samples: 120000,
        overflows: 0,
        histogram: null,
        percentiles: {
          p50: { valueUs: 5, inOverflow: false },
          p99: { valueUs: 8, inOverflow: false },
          "p99.999": { valueUs: 90, inOverflow: true },
        },
      },
    ];
    run.metrics = {};
    expect(exportRuns([run], "influx")).toBe(
      "kvm4nfv_timer,cpu=2,host=pod\\ 1,label=memory\\ stress\\,a\\=b,run=3,test=timer " +
        "min=3,avg=5.25,max=16,samples=120000i,overflows=0i,p50=5,p99=8,p99.999=90,p99.999_lower_bound=true 1795298400000000000\n",
    );
  });

  it("exports migration metrics as fields (strings quoted) and skips null/non-finite values", () => {
    const run = makeMigrationRun({
      metrics: { total_time_ms: 1522, downtime_ms: 9, note: 'said "ok"', bad: Number.NaN, none: null },
    });
    run.environment.hostname = null;
    expect(exportRuns([run], "influx")).toBe(
      'kvm4nfv_migration,label=idle\\ guest\\ 8G,test=migration total_time_ms=1522,downtime_ms=9,note="said \\"ok\\"" 1795302000000000000\n',
    );
  });

  it("escapes keys per the spec; a backslash InfluxDB cannot carry (at the end, before , = or space) becomes /", () => {
    expect(influxKey("a b,c=d")).toBe("a\\ b\\,c\\=d");
    expect(influxKey("C:\\dir\\")).toBe("C:\\dir/");
    expect(influxKey("a\\ b\\\\")).toBe("a/\\ b\\/");
  });
});

describe("junit", () => {
  it("has a testsuite per run and a testcase per SLA limit, failing the broken ones", () => {
    const pass = makeTimerRun({ id: 1 });
    const fail = makeTimerRun({ id: 2, label: "cpu<stress>&" });
    fail.verdict = {
      status: "fail",
      limits: [
        { metric: "max", limitUs: 20 },
        { metric: "p99.99", limitUs: 10 },
      ],
      breaches: [{ metric: "max", limitUs: 20, observedUs: 33, cpu: 3 }],
      summary: "max 33 µs > 20 µs on CPU 3",
    };
    const xml = exportRuns([pass, fail], "junit");
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kvm4nfv" tests="5" failures="1" errors="0">',
      ),
    ).toBe(true);
    expect(xml).toContain(
      '<testsuite name="timer idle_idle (run 1)" tests="3" failures="0" errors="0" timestamp="2026-11-21T22:00:00.000Z" time="121.500" hostname="pod1-node2">',
    );
    expect(xml).toContain('<testsuite name="timer cpu&lt;stress&gt;&amp; (run 2)" tests="2" failures="1"');
    expect(xml).toContain(
      '<testcase classname="kvm4nfv.timer" name="max &lt;= 20 us" time="0">\n      <failure type="sla" message="max 33 us &gt; 20 us on CPU 3"/>\n    </testcase>',
    );
    expect(xml).toContain('<testcase classname="kvm4nfv.timer" name="p99.99 &lt;= 10 us" time="0"/>');
    expect(xml).toContain('<property name="version.cyclictest" value="2.5"/>');
    // Well-formed: every opened element closes, in order.
    const stack: string[] = [];
    for (const m of xml.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
      if (m[3]) continue;
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]!);
    }
    expect(stack).toEqual([]);
    expect(xml).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
  });

  it("reports an errored run as an error and a migration verdict as one case", () => {
    const err = makeTimerRun({ id: 4 });
    err.verdict = { status: "error", limits: [], breaches: [], summary: "cyclictest died: signal 9" };
    const xml = exportRuns([err, makeMigrationRun({ id: 5 })], "junit");
    expect(xml).toContain('tests="2" failures="0" errors="1"');
    expect(xml).toContain('<error type="run" message="cyclictest died: signal 9"/>');
    expect(xml).toContain('<testcase classname="kvm4nfv.migration" name="verdict" time="0"/>');
  });

  it("gives a migration one verdict case, failing with the summary, whatever its limits", () => {
    const mig = makeMigrationRun({ id: 6 });
    mig.verdict = {
      status: "fail",
      limits: [
        { metric: "max", limitUs: 2_000_000 },
        { metric: "max", limitUs: 10_000 },
      ],
      breaches: [{ metric: "max", limitUs: 10_000, observedUs: 38_000, cpu: -1 }],
      summary: "downtime 38 ms > 10 ms",
    };
    const xml = exportRuns([mig], "junit");
    expect(xml).toContain('tests="1" failures="1" errors="0"');
    expect(xml).toContain(
      '<testcase classname="kvm4nfv.migration" name="verdict" time="0">\n      <failure type="sla" message="downtime 38 ms &gt; 10 ms"/>',
    );
  });

  it("drops characters XML cannot carry", () => {
    expect(xmlEscape("a\u0001b'\"")).toBe("ab&apos;&quot;");
  });
});

describe("parseFormat", () => {
  it("refuses unknown formats", () => {
    expect(parseFormat("influx")).toBe("influx");
    expect(() => parseFormat("csv")).toThrow('unknown export format "csv": expected json, junit, influx');
  });
});
