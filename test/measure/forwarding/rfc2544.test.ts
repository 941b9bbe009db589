/** The RFC 2544 search against a model device that forwards up to `capacity` frames/s and drops the rest. */
import { describe, expect, it } from "vitest";
import type { TrialResult } from "../../../src/measure/forwarding/generator.js";
import { searchThroughput } from "../../../src/measure/forwarding/rfc2544.js";

/** `collapse`: past its capacity the device forwards less the more it is offered (a livelocked emulated guest). */
function device(capacity: number, generatorMax: number, collapse = false) {
  const asked: Array<number | null> = [];
  const trial = async (rate: number | null): Promise<TrialResult> => {
    asked.push(rate);
    const offered = rate === null ? generatorMax : Math.min(rate, generatorMax);
    const received =
      offered <= capacity ? offered : collapse ? Math.floor((capacity * capacity) / offered) : capacity;
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
    const d = device(0, 100_000);
    const r = await searchThroughput(d.trial, { maxTrials: 3, resolution: 0.0001 });
    expect(r.trials).toHaveLength(4);
    // Nothing forwarded: no estimate to use, plain halving.
    expect(d.asked.slice(1)).toEqual([50_000, 25_000, 12_500]);
    expect(r.throughputPps).toBe(0);
    expect(r.best).toBeNull();
  });

  it("a lossy trial's forwarded rate (less 10 %) is the next probe when below the midpoint", async () => {
    const d = device(12_345, 100_000);
    const r = await searchThroughput(d.trial, { maxTrials: 3, resolution: 0.0001 });
    expect(d.asked[1]).toBeCloseTo(12_345 * 0.9, 6);
    expect(r.best?.lost).toBe(0);
    expect(r.throughputPps).toBeLessThanOrEqual(12_345);
    expect(r.throughputPps).toBeGreaterThan(12_345 * 0.9 - 1);
  });

  it("a slow device behind a fast generator (PVP through an emulated guest) is found in a few trials", async () => {
    const d = device(500, 150_000);
    const r = await searchThroughput(d.trial, { maxTrials: 6, resolution: 0.02 });
    // Plain halving from 150 k needs 8 lossy trials before its first probe below 500.
    expect(r.throughputPps).toBeGreaterThan(450 - 1);
    expect(r.throughputPps).toBeLessThanOrEqual(500);
    expect(r.trials.length).toBeLessThanOrEqual(7);
  });

  it("a device whose forwarding collapses under overload: still the highest loss-free rate, never above capacity", async () => {
    const d = device(800, 150_000, true);
    const r = await searchThroughput(d.trial, { maxTrials: 14, resolution: 0.02 });
    expect(r.throughputPps).toBeLessThanOrEqual(800);
    expect(r.throughputPps).toBeGreaterThan(800 * 0.95);
    for (const t of r.trials) if (t.lost === 0) expect(t.offeredPps).toBeLessThanOrEqual(800);
  });

  it("never probes below minRatePps: a device losing frames even there has no throughput", async () => {
    const d = device(3, 150_000);
    const r = await searchThroughput(d.trial, { maxTrials: 10, resolution: 0.02, minRatePps: 10 });
    expect(r.throughputPps).toBe(0);
    for (const rate of d.asked.slice(1)) expect(rate).toBeGreaterThanOrEqual(10);
  });
});
