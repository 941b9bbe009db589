import { describe, expect, it } from "vitest";
import { timerOptionsFromFlags } from "../../src/app/timer.js";
import { UsageError } from "../../src/errors.js";
import { formatTimerRun } from "../../src/measure/format.js";
import type { RunRecord } from "../../src/measure/types.js";

describe("test timer flags", () => {
  it("has the seeds' defaults", () => {
    expect(timerOptionsFromFlags({})).toEqual({
      where: "host",
      load: "idle",
      sla: [
        { metric: "min", limitUs: 50 },
        { metric: "avg", limitUs: 100 },
        { metric: "max", limitUs: 1000 },
      ],
      intervalUs: 1000,
      priority: 99,
      durationMs: 60_000,
    });
  });

  it("reads every flag", () => {
    const o = timerOptionsFromFlags({
      cpus: "2-3",
      loops: "5000",
      interval: "500us",
      priority: "95",
      load: "io",
      sla: "max=30",
      breaktrace: "100",
      histogram: "400us",
      label: "x",
    });
    expect(o).toMatchObject({ cpus: [2, 3], loops: 5000, intervalUs: 500, priority: 95, load: "io" });
    expect(o).toMatchObject({
      breaktraceUs: 100,
      histogramUs: 400,
      label: "x",
      sla: [{ metric: "max", limitUs: 30 }],
    });
    expect(o.durationMs).toBeUndefined();
  });

  it.each([
    [{ duration: "10s", loops: "5" }, "--duration and --loops are exclusive"],
    [{ where: "moon" }, '--where "moon" is not a place'],
    [{ priority: "0" }, '--priority "0" is not an integer from 1 to 99'],
    [{ duration: "ten" }, '--duration "ten" is not a duration'],
    [{ cpus: "" }, "--cpus is empty"],
  ])("refuses %j (exit 2)", (flags, message) => {
    expect(() => timerOptionsFromFlags(flags)).toThrow(message);
    expect(() => timerOptionsFromFlags(flags)).toThrow(UsageError);
  });
});

describe("human summary", () => {
  it("shows per-CPU min/avg/max/p99.99, the verdict and the run id", () => {
    const run = {
      id: 7,
      type: "timer",
      label: "idle",
      startedAt: "",
      endedAt: "",
      params: { cpus: "1", durationMs: 2000, loops: null, intervalUs: 1000, load: "idle" },
      environment: { where: "host", hostname: "vm", kernelRelease: "6.1.0-rt", realtimeKernel: true },
      cpus: [
        {
          cpu: 1,
          thread: 0,
          minUs: 6,
          avgUs: 27.54,
          maxUs: 1458,
          samples: 2999,
          overflows: 11,
          histogram: null,
          percentiles: {
            p99: { valueUs: 89, inOverflow: false },
            "p99.99": { valueUs: 200, inOverflow: true },
          },
        },
      ],
      metrics: {},
      raw: {},
      verdict: {
        status: "fail",
        limits: [],
        breaches: [],
        summary: "SLA broken: max 1458 µs > 1000 µs on CPU 1",
      },
    } as unknown as RunRecord;
    expect(formatTimerRun(run, "/s.db").split("\n")).toEqual([
      "timer test on host vm (6.1.0-rt, PREEMPT_RT): CPU 1, 2s, interval 1000 µs, load idle",
      "",
      "CPU  samples  min    avg   max  p99  p99.99  overflows",
      "1       2999    6  27.54  1458   89   > 200         11",
      "",
      "latencies in µs",
      "verdict: FAIL — SLA broken: max 1458 µs > 1000 µs on CPU 1",
      "stored as run 7 in /s.db",
    ]);
  });

  it("says when --breaktrace stopped the run", () => {
    const run = {
      id: null,
      params: { cpus: "1", loops: 1500, intervalUs: 1000, load: "idle", breaktraceUs: 200 },
      environment: { where: "host", hostname: null, kernelRelease: null, realtimeKernel: null },
      cpus: [],
      metrics: { breakValueUs: 690 },
      verdict: { status: "pass", summary: "SLA met (max=1000)" },
    } as unknown as RunRecord;
    const text = formatTimerRun(run);
    expect(text).toContain("stopped early by --breaktrace: a 690 µs latency exceeded 200 µs");
    expect(text.split("\n")[0]).toBe(
      "timer test on host (unknown kernel): CPU 1, 1500 loops, interval 1000 µs, load idle",
    );
  });
});
