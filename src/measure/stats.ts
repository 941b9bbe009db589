/**
 * Percentiles from a latency histogram, exactly and in one pass.
 *
 * Definition (nearest rank): the p-th percentile of N samples is the smallest latency L such that at least
 * ceil(p/100 · N) samples are ≤ L. N includes the overflows, which sit above the last bucket: a
 * percentile whose rank falls among them is reported as the histogram width with inOverflow = true, a lower
 * bound — dropping overflows from N would make every percentile read optimistically low.
 *
 * Ranks are computed in integers (p in units of 1/100000) so p99.999 of 100000 samples is rank 99999,
 * not 100000 through floating-point rounding.
 */
import { type Histogram, PERCENTILE_KEYS, type Percentile, type PercentileKey } from "./types.js";

/** Each percentile as parts per 100000. */
const PARTS: Record<PercentileKey, number> = {
  p50: 50_000,
  p90: 90_000,
  p99: 99_000,
  "p99.9": 99_900,
  "p99.99": 99_990,
  "p99.999": 99_999,
};
const SCALE = 100_000;

/** Nearest-rank position (1-based) of a percentile among n samples. */
export function percentileRank(n: number, key: PercentileKey): number {
  const scaled = n * PARTS[key];
  // n·parts stays exact below 2^53 (n < 9e10 samples, i.e. > 2 years at 1 kHz on one CPU).
  return Math.max(1, Math.floor((scaled + SCALE - 1) / SCALE));
}

export function totalSamples(h: Histogram): number {
  let n = h.overflows;
  for (const [, count] of h.buckets) n += count;
  return n;
}

/**
 * widthKnown = false (rt-tests >= 2.7 text without its -h value): the histogram's upper edge is not known, so
 * a percentile whose rank falls among the overflows is left out (unknown) rather than bounded by a guess.
 */
export function computePercentiles(
  h: Histogram,
  widthKnown = true,
): Partial<Record<PercentileKey, Percentile>> {
  const n = totalSamples(h);
  const out: Partial<Record<PercentileKey, Percentile>> = {};
  if (n === 0) return out;
  // Keys are in ascending order, so their ranks are too: walk the buckets once.
  let k = 0;
  let cumulative = 0;
  const ranks = PERCENTILE_KEYS.map((key) => percentileRank(n, key));
  for (const [latency, count] of h.buckets) {
    cumulative += count;
    while (k < ranks.length && cumulative >= ranks[k]!) {
      out[PERCENTILE_KEYS[k]!] = { valueUs: latency, inOverflow: false };
      k++;
    }
    if (k === ranks.length) return out;
  }
  if (!widthKnown) return out;
  for (; k < ranks.length; k++) out[PERCENTILE_KEYS[k]!] = { valueUs: h.maxUs, inOverflow: true };
  return out;
}

/** Build a Histogram from per-latency counts (index = µs); zero buckets are left out. */
export function histogramFromCounts(counts: ArrayLike<number>, overflows: number, maxUs: number): Histogram {
  const buckets: Array<[number, number]> = [];
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c !== 0) buckets.push([i, c]);
  }
  return { buckets, overflows, maxUs };
}

/** Format a percentile for people: "12 µs", or "> 1000 µs" when it lies beyond the histogram. */
export function formatPercentile(p: Percentile | undefined): string {
  if (!p) return "n/a";
  return p.inOverflow ? `> ${p.valueUs} µs` : `${p.valueUs} µs`;
}
