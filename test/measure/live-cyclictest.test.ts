import { describe, expect, it } from "vitest";
import { realExec } from "../../src/exec.js";
import { filterLiveLine, runCyclictestLive } from "../../src/measure/live-cyclictest.js";
import { fixture } from "./fixtures.js";

describe("cyclictest live lines", () => {
  it("takes the running max from status lines (escapes and all) and drops them", () => {
    const maxes: number[] = [];
    const keep = (l: string) => filterLiveLine(l, (us) => maxes.push(us));
    expect(keep("T: 0 ( 3093) P:99 I:1000 C:     10 Min:      7 Act:   10 Avg:    8 Max:      11")).toBe(
      false,
    );
    expect(keep("\u001b[3Apolicy: fifo: loadavg: 1.20 1.74 4.14 2/113 3093          ")).toBe(false);
    expect(
      keep("\u001b[3AT: 1 ( 3094) P:99 I:1000 C:   2000 Min:      6 Act:   14 Avg:   14 Max:     135"),
    ).toBe(false);
    expect(keep("")).toBe(false);
    expect(keep("# Max Latencies: 00135")).toBe(true);
    expect(keep("000007 000012")).toBe(true);
    expect(maxes).toEqual([11, 135]);
  });

  it("reports the running max in µs from real -N live output (rt-tests 2.4, ns on screen)", () => {
    const maxes: number[] = [];
    const lines = fixture("cyclictest-2.4-nsecs-live.txt").split("\n");
    for (const l of lines) filterLiveLine(l, (us) => maxes.push(us), true);
    const printed = [...fixture("cyclictest-2.4-nsecs-live.txt").matchAll(/Max:\s*(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(maxes).toEqual(printed.map((ns) => ns / 1000));
    expect(maxes.at(-1)).toBe(80.962);
  });

  it("runs the real cyclictest, keeps its histogram and reports a running max", async () => {
    let max = 0;
    const r = await runCyclictestLive(
      realExec,
      ["-m", "-p", "99", "-i", "1000", "-t", "1", "-a", "0", "-h", "100", "-D", "1"],
      30_000,
      (us) => {
        max = Math.max(max, us);
      },
    );
    expect(r.exitCode).toBe(0);
    expect(max).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^# Max Latencies: 0*(\d+)/m);
    expect(r.stdout).not.toMatch(/^T: 0/m);
    const printedMax = Number(/^# Max Latencies: 0*(\d+)/m.exec(r.stdout)![1]);
    expect(max).toBeLessThanOrEqual(printedMax);
  }, 30_000);
});
