/** The RFC 2544 search against a model device that forwards up to `capacity` frames/s and drops the rest. */
import { describe, expect, it } from "vitest";
import type { TrialResult } from "../../../src/measure/forwarding/generator.js";
import { searchThroughput } from "../../../src/measure/forwarding/rfc2544.js";

function device(capacity: number, generatorMax: number) {
  const asked: Array<number | null> = [];
  const trial = async (rate: number | null): Promise<TrialResult> => {
    asked.push(rate);
    const offered = rate === null ? generatorMax : Math.min(rate, generatorMax);
    const received = Math.min(offered, capacity);
    return {
      requestedPps: rate,
      durationS: 1,
      sent: offered,
      received,
      lost: offered - received,
      lossPct: (100 * (offered - received)) / offered,
      offeredPps: offered,
      output: "",
    };
  };
  return { trial, asked };
}

describe("searchThroughput", () => {
  it("finds the highest loss-free rate within the resolution, below the capacity", async () => {
    const d = device(30_000, 100_000);
    const r = await searchThroughput(d.trial, { maxTrials: 20, resolution: 0.02 });
    expect(r.limitedBy).toBe("device");
    expect(r.throughputPps).toBeLessThanOrEqual(30_000);
    expect(r.throughputPps).toBeGreaterThan(30_000 * 0.97);
    expect(d.asked[0]).toBeNull();
    expect(r.best?.lost).toBe(0);
  });

  it("no loss at the generator's maximum: that figure, marked as the generator's limit", async () => {
    const d = device(1e9, 40_000);
    const r = await searchThroughput(d.trial, { maxTrials: 6, resolution: 0.02 });
    expect(r).toMatchObject({ throughputPps: 40_000, limitedBy: "generator" });
    expect(r.trials).toHaveLength(1);
  });

  it("stops after maxTrials", async () => {
    const d = device(12_345, 100_000);
    const r = await searchThroughput(d.trial, { maxTrials: 3, resolution: 0.0001 });
    expect(r.trials).toHaveLength(4);
    expect(d.asked.slice(1)).toEqual([50_000, 25_000, 12_500]);
    expect(r.throughputPps).toBe(0);
    expect(r.best).toBeNull();
  });
});
