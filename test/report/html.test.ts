import { describe, expect, it } from "vitest";
import { esc, renderReport } from "../../src/report/html.js";
import { latencyPlot } from "../../src/report/plot.js";
import { makeMigrationRun, makeTimerRun } from "../results/run-factory.js";

const FIXED = { generatedAt: "2026-11-22T05:00:00.000Z", source: "/tmp/results.db" };

describe("renderReport", () => {
  const run = makeTimerRun({ id: 1 });
  const html = renderReport([run], FIXED);

  it("is one self-contained document: inline SVG, no scripts, no URLs at all", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<svg");
    expect(html).toContain("<style>");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link|@import|url\(/i);
  });

  it("shows the verdict, the percentile table and the host facts", () => {
    expect(html).toContain('<span class="badge pass">PASS</span>');
    expect(html).toContain("SLA: min ≤ 50 µs, avg ≤ 100 µs, max ≤ 1000 µs");
    for (const h of ["p50", "p90", "p99", "p99.9", "p99.99", "p99.999"])
      expect(html).toContain(`<th>${h}</th>`);
    expect(html).toContain("<td>120,000</td>");
    expect(html).toContain("6.1.0-27-rt-amd64");
    expect(html).toContain("yes (PREEMPT_RT)");
    expect(html).toContain("cyclictest 2.5, stress-ng 0.15.06, qemu 7.2.19");
    expect(html).toContain("Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
    expect(html).not.toContain("TCG");
    // The seeds' 50/100/1000 µs limits are all > 3× the worst sample (16 µs): listed, not drawn.
    expect(html).toContain(
      "Off the scale (far above every sample): min ≤ 50 µs, avg ≤ 100 µs, max ≤ 1000 µs.",
    );
  });

  it("draws SLA limits near the data as rules with a label", () => {
    const tight = makeTimerRun({ id: 2 });
    tight.verdict = {
      status: "fail",
      limits: [{ metric: "max", limitUs: 12 }],
      breaches: [{ metric: "max", limitUs: 12, observedUs: 16, cpu: 2 }],
      summary: "max 16 µs > 12 µs on CPU 2",
    };
    const out = renderReport([tight], FIXED);
    expect(out).toContain("max ≤ 12 µs</text>");
    expect(out).toContain('stroke-dasharray="5,3"');
    expect(out).toContain('<span class="badge fail">FAIL</span>');
    expect(out).toContain("<li><b>max</b> 16 µs &gt; 12 µs on CPU 2</li>");
    expect(out).toContain('<td class="bad">16</td>');
  });

  it("escapes every user text: labels, hostnames, cmdlines", () => {
    const evil = makeTimerRun({ id: 3, label: '<img src=x onerror="alert(1)">' });
    evil.environment.hostname = "<b>host</b>";
    evil.environment.kernelCmdline = "a=<script>";
    const out = renderReport([evil, makeTimerRun({ id: 4 })], FIXED);
    expect(out).not.toContain("<img");
    expect(out).not.toContain("<b>host</b>");
    expect(out).not.toMatch(/<script/i);
    expect(out).toContain("&#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    expect(out).toContain("&#60;b&#62;host&#60;/b&#62;");
  });

  it("warns loudly about TCG runs", () => {
    const base = makeTimerRun();
    const tcg = makeTimerRun({ id: 5, environment: { ...base.environment, accelerator: "tcg" } });
    const out = renderReport([tcg], FIXED);
    expect(out).toContain("Latencies emulated under TCG, not real");
    expect(out).toContain('<span class="badge tcgb">TCG</span>');
  });

  it("shows migration figures in a table, without a latency plot", () => {
    const out = renderReport([makeMigrationRun({ id: 6 })], FIXED);
    expect(out).toContain("<caption>Migration figures</caption>");
    expect(out).toContain("<tr><th>total_time_ms</th><td>1522</td></tr>");
    expect(out).toContain("<tr><th>status</th><td>completed</td></tr>");
    expect(out).not.toContain("<svg");
    expect(out).not.toContain("SLA:");
  });

  it("words the TCG note for migrations as timings, not latencies", () => {
    const m = makeMigrationRun({ id: 10 });
    const out = renderReport([{ ...m, environment: { ...m.environment, accelerator: "tcg" } }], FIXED);
    expect(out).toContain(
      "Guest emulated under TCG, not KVM: these migration timings are not those of a real KVM guest.",
    );
    expect(out).not.toContain("Latencies emulated under TCG");
  });

  it("compares several runs side by side with ratios and an overlaid plot", () => {
    const a = makeTimerRun({ id: 7 });
    const b = makeTimerRun({ id: 8, label: "memorystress_idle" }, { maxUs: 30, peakUs: 6 });
    const out = renderReport([a, b], FIXED);
    expect(out).toContain("<h2>Comparison against run #7</h2>");
    expect(out).toMatch(
      /<tr><th>CPU 2<\/th><th>max<\/th><td>16<\/td><td>30<\/td><td class="ratio bad">1\.88×<\/td><\/tr>/,
    );
    expect(out.match(/<svg/g)?.length).toBeGreaterThanOrEqual(3); // overlay + one per run
    expect(out).toContain(">run 7<");
    expect(out).toContain(">run 8<");
  });

  it("says so when a run has no histogram", () => {
    const r = makeTimerRun({ id: 9 });
    r.cpus = r.cpus.map((c) => ({ ...c, histogram: null }));
    expect(renderReport([r], FIXED)).toContain("No histogram recorded for this run");
  });
});

describe("latencyPlot", () => {
  it("renders an SVG with no namespace URL and lists far limits as off-scale", () => {
    const run = makeTimerRun();
    const { markup, offScale } = latencyPlot(
      [{ name: "CPU 2", color: "CPU 2", histogram: run.cpus[0]!.histogram! }],
      {
        limits: [
          { metric: "p99", limitUs: 20 },
          { metric: "max", limitUs: 1000 },
        ],
      },
    );
    expect(markup).toContain("<svg");
    expect(markup).not.toContain("xmlns");
    expect(offScale).toEqual([{ metric: "max", limitUs: 1000 }]);
    expect(markup).toContain("p99 ≤ 20 µs");
  });
});

describe("esc", () => {
  it("escapes the five HTML specials", () => {
    expect(esc(`<a href="x">&'</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;&#38;&#39;&#60;/a&#62;");
  });
});
