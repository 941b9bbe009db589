/** results compare on forwarding runs: a drop in zero-loss throughput is a regression, a rise is not. */
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/measure/types.js";
import { compareRuns } from "../../../src/results/compare.js";

function run(id: number, throughputPps: number): RunRecord {
  return {
    id,
    type: "forwarding",
    label: "phy2phy_tput",
    startedAt: "2026-12-01T21:00:00Z",
    endedAt: "2026-12-01T21:00:10Z",
    params: {},
    environment: {
      hostname: "h",
      kernelRelease: null,
      kernelCmdline: null,
      cpuModel: null,
      realtimeKernel: null,
      toolVersions: {},
      where: "host",
    },
    cpus: [],
    metrics: {
      frameSize: 64,
      throughputPps,
      throughputMbps: (throughputPps * 64 * 8) / 1e6,
      generatorMaxPps: 100_000,
    },
    raw: {},
    verdict: { status: "pass", limits: [], breaches: [], summary: "" },
  };
}

describe("compare forwarding runs", () => {
  it("flags a throughput drop beyond the threshold", () => {
    const c = compareRuns(run(1, 20_000), run(2, 15_000), { thresholdPct: 10 });
    expect(c.metrics.find((m) => m.metric === "throughputPps")?.regression).toBe(true);
    expect(c.metrics.find((m) => m.metric === "throughputMbps")?.regression).toBe(true);
    expect(c.metrics.find((m) => m.metric === "generatorMaxPps")?.regression).toBe(false);
    expect(c.regressions).toBe(2);
  });

  it("a rise or a drop within the threshold is not a regression", () => {
    expect(compareRuns(run(1, 20_000), run(2, 25_000)).regressions).toBe(0);
    expect(compareRuns(run(1, 20_000), run(2, 19_000), { thresholdPct: 10 }).regressions).toBe(0);
  });
});
