import { describe, expect, it } from "vitest";
import {
  computePercentiles,
  histogramFromCounts,
  percentileRank,
  totalSamples,
} from "../../src/measure/stats.js";

describe("percentileRank (nearest rank, integer arithmetic)", () => {
  it("is exact where floating point would round up", () => {
    expect(percentileRank(100_000, "p99.999")).toBe(99_999);
    expect(percentileRank(100_000, "p99.99")).toBe(99_990);
    expect(percentileRank(1000, "p99.9")).toBe(999);
    expect(percentileRank(3, "p50")).toBe(2);
    expect(percentileRank(1, "p99.999")).toBe(1);
    expect(percentileRank(3_600_000, "p99.999")).toBe(3_599_964);
  });
});

describe("computePercentiles", () => {
  it("walks 100 samples of 1..100 µs exactly", () => {
    const counts = new Array(101).fill(1);
    counts[0] = 0;
    const p = computePercentiles(histogramFromCounts(counts, 0, 101));
    expect(p.p50).toEqual({ valueUs: 50, inOverflow: false });
    expect(p.p90).toEqual({ valueUs: 90, inOverflow: false });
    expect(p.p99).toEqual({ valueUs: 99, inOverflow: false });
    expect(p["p99.9"]).toEqual({ valueUs: 100, inOverflow: false });
    expect(p["p99.999"]).toEqual({ valueUs: 100, inOverflow: false });
  });

  it("counts overflows above the last bucket and marks percentiles that fall there", () => {
    // 9990 samples at 5 µs, 9 at 40 µs, 1 overflow beyond a 50 µs histogram: N = 10000.
    const h = {
      buckets: [
        [5, 9990],
        [40, 9],
      ] as Array<[number, number]>,
      overflows: 1,
      maxUs: 50,
    };
    expect(totalSamples(h)).toBe(10_000);
    const p = computePercentiles(h);
    expect(p.p99).toEqual({ valueUs: 5, inOverflow: false });
    expect(p["p99.9"]).toEqual({ valueUs: 5, inOverflow: false }); // rank 9990
    expect(p["p99.99"]).toEqual({ valueUs: 40, inOverflow: false }); // rank 9999
    expect(p["p99.999"]).toEqual({ valueUs: 50, inOverflow: true }); // rank 10000: the overflow
  });

  it("puts every percentile in the overflow when the histogram is empty but samples overflowed", () => {
    const p = computePercentiles({ buckets: [], overflows: 3, maxUs: 20 });
    expect(p.p50).toEqual({ valueUs: 20, inOverflow: true });
  });

  it("returns nothing for zero samples", () => {
    expect(computePercentiles({ buckets: [], overflows: 0, maxUs: 20 })).toEqual({});
  });

  it("histogramFromCounts keeps only non-empty buckets", () => {
    expect(histogramFromCounts([0, 2, 0, 5], 1, 4)).toEqual({
      buckets: [
        [1, 2],
        [3, 5],
      ],
      overflows: 1,
      maxUs: 4,
    });
  });
});
