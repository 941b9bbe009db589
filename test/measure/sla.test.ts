import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { DEFAULT_SLA, evaluateSla, parseSla } from "../../src/measure/sla.js";
import type { CpuResult } from "../../src/measure/types.js";
import { figuresCpu } from "../results/run-factory.js";

function cpu(n: number, min: number, avg: number, max: number, p9999?: [number, boolean]): CpuResult {
  const percentiles = p9999 ? { "p99.99": { valueUs: p9999[0], inOverflow: p9999[1] } } : {};
  return figuresCpu(n, { minUs: min, avgUs: avg, maxUs: max }, percentiles);
}

describe("parseSla", () => {
  it("reads the seeds' defaults and percentile limits", () => {
    expect(parseSla(DEFAULT_SLA)).toEqual([
      { metric: "min", limitUs: 50 },
      { metric: "avg", limitUs: 100 },
      { metric: "max", limitUs: 1000 },
    ]);
    expect(parseSla("min=50,avg=100,max=1000,p99.99=30")[3]).toEqual({ metric: "p99.99", limitUs: 30 });
    expect(parseSla(" max = 20us ")).toEqual([{ metric: "max", limitUs: 20 }]);
  });

  it.each([
    ["max=abc", /malformed limit "max=abc"/],
    ["max", /malformed limit "max"/],
    ["p42=3", /unknown metric "p42"/],
    ["max=1,max=2", /"max" given twice/],
    ["", /--sla is empty/],
    ["max=10,", /malformed limit ""/],
  ])("refuses %j with a UsageError giving the expected form", (spec, message) => {
    expect(() => parseSla(spec)).toThrow(UsageError);
    expect(() => parseSla(spec)).toThrow(message);
    try {
      parseSla(spec);
    } catch (err) {
      expect((err as UsageError).hint).toContain("min=50,avg=100,max=1000,p99.99=30");
      expect((err as UsageError).exitCode).toBe(2);
    }
  });
});

describe("evaluateSla", () => {
  it("passes when every CPU keeps every limit", () => {
    const v = evaluateSla(parseSla(DEFAULT_SLA), [cpu(1, 5, 10.5, 900), cpu(2, 6, 11, 1000)]);
    expect(v.status).toBe("pass");
    expect(v.breaches).toEqual([]);
    expect(v.summary).toBe("SLA met (min=50,avg=100,max=1000)");
  });

  it("names each broken limit with the worst CPU and its value", () => {
    const v = evaluateSla(parseSla("min=50,avg=100,max=1000"), [cpu(1, 60, 10, 1204), cpu(3, 5, 120, 2000)]);
    expect(v.status).toBe("fail");
    expect(v.breaches).toEqual([
      { metric: "min", limitUs: 50, observedUs: 60, cpu: 1 },
      { metric: "avg", limitUs: 100, observedUs: 120, cpu: 3 },
      { metric: "max", limitUs: 1000, observedUs: 2000, cpu: 3 },
    ]);
    expect(v.summary).toBe(
      "SLA broken: min 60 µs > 50 µs on CPU 1; avg 120 µs > 100 µs on CPU 3; max 2000 µs > 1000 µs on CPU 3",
    );
  });

  it("judges percentiles, an overflowing one as broken", () => {
    const sla = parseSla("p99.99=30");
    expect(evaluateSla(sla, [cpu(1, 1, 2, 3, [30, false])]).status).toBe("pass");
    const over = evaluateSla(sla, [cpu(1, 1, 2, 3, [25, false]), cpu(2, 1, 2, 3, [20, true])]);
    expect(over.breaches).toEqual([{ metric: "p99.99", limitUs: 30, observedUs: 20, cpu: 2 }]);
    expect(over.summary).toBe("SLA broken: p99.99 > 20 µs on CPU 2, beyond the histogram: ≤ 30 µs unproven");
    const clear = evaluateSla(sla, [cpu(4, 1, 2, 3, [40, true])]);
    expect(clear.summary).toBe("SLA broken: p99.99 > 40 µs > 30 µs on CPU 4");
  });

  it("cannot verify a percentile without a histogram", () => {
    const v = evaluateSla(parseSla("max=100,p99=50"), [cpu(1, 1, 2, 3)]);
    expect(v.status).toBe("error");
    expect(v.summary).toBe("SLA not verifiable: no histogram for p99");
  });

  it("is an error without results", () => {
    expect(evaluateSla(parseSla("max=1"), []).status).toBe("error");
  });
});
