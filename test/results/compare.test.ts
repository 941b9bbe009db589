import { describe, expect, it } from "vitest";
import type { CpuResult } from "../../src/measure/types.js";
import { compareRuns, parseThreshold } from "../../src/results/compare.js";
import { formatComparison } from "../../src/results/format.js";
import { figuresCpu, makeMigrationRun, makeTimerRun } from "./run-factory.js";

function cpu(n: number, min: number, avg: number, max: number, p99: number, p99999 = max): CpuResult {
  return figuresCpu(
    n,
    { minUs: min, avgUs: avg, maxUs: max },
    { p99: { valueUs: p99, inOverflow: false }, "p99.999": { valueUs: p99999, inOverflow: p99999 >= 90 } },
  );
}

describe("parseThreshold", () => {
  it("accepts 10%, 10 and 2.5%", () => {
    expect(parseThreshold("10%")).toBe(10);
    expect(parseThreshold("10")).toBe(10);
    expect(parseThreshold("2.5%")).toBe(2.5);
  });
  it("refuses anything else with exit 2", () => {
    expect(() => parseThreshold("-5%")).toThrow('bad threshold "-5%": expected a percentage like 10%');
    expect(() => parseThreshold("ten")).toThrow(/bad threshold/);
  });
});

describe("compareRuns", () => {
  const a = makeTimerRun({ id: 1, cpus: [cpu(2, 4, 5, 20, 8), cpu(3, 4, 5, 16, 7)] });
  const b = makeTimerRun({
    id: 2,
    label: "memorystress_idle",
    cpus: [cpu(3, 4, 5.4, 40, 7.7, 95), cpu(2, 0, 6, 21, 8)],
  });

  it("matches CPUs by number, gives B/A and flags only what is worse by more than the threshold", () => {
    const c = compareRuns(a, b);
    expect(c.thresholdPct).toBe(10);
    expect(c.cpus.map((x) => x.cpu)).toEqual([2, 3]);
    const cpu2 = Object.fromEntries(c.cpus[0]!.metrics.map((m) => [m.metric, m]));
    expect(cpu2.min).toEqual({ metric: "min", a: 4, b: 0, ratio: 0, regression: false });
    expect(cpu2.avg).toEqual({ metric: "avg", a: 5, b: 6, ratio: 1.2, regression: true });
    expect(cpu2.max!.ratio).toBeCloseTo(1.05, 10);
    expect(cpu2.max!.regression).toBe(false);
    expect(cpu2.p99).toEqual({ metric: "p99", a: 8, b: 8, ratio: 1, regression: false });
    const cpu3 = Object.fromEntries(c.cpus[1]!.metrics.map((m) => [m.metric, m]));
    expect(cpu3.avg!.regression).toBe(false); // 5.4/5 = 1.08, under 10 %
    expect(cpu3.p99!.ratio).toBeCloseTo(1.1, 10);
    expect(cpu3.p99!.regression).toBe(false); // exactly 10 % is not "more than"
    expect(cpu3.max).toEqual({ metric: "max", a: 16, b: 40, ratio: 2.5, regression: true });
    expect(cpu3["p99.999"]).toMatchObject({ a: 16, b: 95, regression: true, bLowerBound: true });
    expect(c.regressions).toBe(3);
  });

  it("honours a custom threshold", () => {
    expect(compareRuns(a, b, { thresholdPct: 5 }).regressions).toBe(5); // + cpu2 max 5 %, cpu3 avg 8 %, p99 10 %
    expect(compareRuns(a, b, { thresholdPct: 500 }).regressions).toBe(0);
  });

  it("treats 0 → >0 as a regression with no ratio, and shows CPUs present in one run only", () => {
    const z = compareRuns(
      makeTimerRun({ cpus: [cpu(1, 0, 0, 0, 0)] }),
      makeTimerRun({ cpus: [cpu(1, 0, 0, 3, 0), cpu(5, 1, 2, 3, 3)] }),
    );
    const max = z.cpus[0]!.metrics.find((m) => m.metric === "max")!;
    expect(max).toEqual({ metric: "max", a: 0, b: 3, ratio: null, regression: true });
    expect(z.cpus[0]!.metrics.find((m) => m.metric === "min")!.ratio).toBe(1);
    expect(z.cpus[1]).toMatchObject({ cpu: 5, inA: false, inB: true });
    expect(z.cpus[1]!.metrics.every((m) => m.a === null && m.ratio === null && !m.regression)).toBe(true);
  });

  it("claims no ratio or regression when A's percentile is only a lower bound (beyond its histogram)", () => {
    const c = compareRuns(
      makeTimerRun({ cpus: [cpu(1, 1, 2, 99, 5, 95)] }),
      makeTimerRun({ cpus: [cpu(1, 1, 2, 99, 5, 190)] }),
    );
    const p = c.cpus[0]!.metrics.find((m) => m.metric === "p99.999")!;
    expect(p).toEqual({
      metric: "p99.999",
      a: 95,
      b: 190,
      ratio: null,
      regression: false,
      aLowerBound: true,
      bLowerBound: true,
    });
  });

  it("compares migration figures, judging only durations", () => {
    const m1 = makeMigrationRun({ id: 7 });
    const m2 = makeMigrationRun({
      id: 8,
      metrics: {
        total_time_ms: 3172,
        downtime_ms: 9.5,
        setup_time_ms: 12,
        transferred_bytes: 900_000_000,
        status: "completed",
      },
    });
    const c = compareRuns(m1, m2);
    expect(c.cpus).toEqual([]);
    const by = Object.fromEntries(c.metrics.map((m) => [m.metric, m]));
    expect(Object.keys(by)).toEqual(["total_time_ms", "downtime_ms", "setup_time_ms", "transferred_bytes"]);
    expect(by.total_time_ms!.regression).toBe(true);
    expect(by.downtime_ms!.regression).toBe(false);
    expect(by.transferred_bytes!.ratio).toBeGreaterThan(2);
    expect(by.transferred_bytes!.regression).toBe(false);
    expect(c.regressions).toBe(1);
  });

  it("formats side by side with the regression marked", () => {
    const text = formatComparison(compareRuns(a, b));
    expect(text).toContain('A = run 1 (timer "idle_idle"');
    expect(text).toMatch(/cpu 3\s+max\s+16\s+40\s+2\.50x\s+REGRESSION/);
    expect(text).toMatch(/cpu 3\s+p99\.999\s+16\s+>95\s+5\.94x\s+REGRESSION/);
    expect(text.trim().endsWith("3 regressions")).toBe(true);
  });
});

describe("run metrics that are durations but not costs", () => {
  it("never flags the guest's uptime or ping time as a regression, but does flag total time", () => {
    const a = makeMigrationRun({ metrics: { total_time_ms: 500, guest_uptime_s: 5, guest_ping_ms: 100 } });
    const b = makeMigrationRun({ metrics: { total_time_ms: 900, guest_uptime_s: 9, guest_ping_ms: 180 } });
    const c = compareRuns(a, b);
    const byName = Object.fromEntries(c.metrics.map((m) => [m.metric, m.regression]));
    expect(byName).toMatchObject({ total_time_ms: true, guest_uptime_s: false, guest_ping_ms: false });
    expect(c.regressions).toBe(1);
  });
});
