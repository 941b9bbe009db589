/**
 * RFC 2544 §26.1 throughput: the highest offered rate at which the device forwards every frame. A trial at the
 * generator's own maximum comes first: when nothing is lost there, the figure is the generator's limit, not the
 * device's, and the result says so. Otherwise a binary search between 0 and that maximum, each trial a full
 * duration, until the interval is within `resolution` of the rate or `maxTrials` are spent.
 */
import type { TrialResult } from "./generator.js";

export interface SearchOptions {
  /** Trials of the binary search after the first one at full speed. */
  maxTrials: number;
  /** Stop when (high − low) / high falls below this (0.02 = 2 %). */
  resolution: number;
}

export interface SearchResult {
  /** Highest offered rate with zero loss (frames/s); 0 when every trial lost frames. */
  throughputPps: number;
  /** The trial the figure comes from (null when none was loss-free). */
  best: TrialResult | null;
  /** "generator": no loss even at the generator's maximum — the device may do more. */
  limitedBy: "generator" | "device";
  trials: TrialResult[];
}

export async function searchThroughput(
  trial: (ratePps: number | null) => Promise<TrialResult>,
  options: SearchOptions,
): Promise<SearchResult> {
  const trials: TrialResult[] = [];
  const first = await trial(null);
  trials.push(first);
  if (first.lost === 0) {
    return { throughputPps: first.offeredPps, best: first, limitedBy: "generator", trials };
  }
  let low = 0;
  let high = first.offeredPps;
  let best: TrialResult | null = null;
  for (let i = 0; i < options.maxTrials && high > 0; i++) {
    const rate = (low + high) / 2;
    const t = await trial(rate);
    trials.push(t);
    if (t.lost === 0) {
      low = rate;
      if (!best || t.offeredPps > best.offeredPps) best = t;
    } else {
      high = rate;
    }
    if ((high - low) / high < options.resolution) break;
  }
  return { throughputPps: best ? best.offeredPps : 0, best, limitedBy: "device", trials };
}
