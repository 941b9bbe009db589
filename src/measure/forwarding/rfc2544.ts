/**
 * RFC 2544 §26.1 throughput: the highest offered rate at which the device forwards every frame. A trial at the
 * generator's own maximum comes first: when nothing is lost there, the figure is the generator's limit, not the
 * device's, and the result says so. Otherwise a binary search between a loss-free rate (0 at first) and the
 * lowest lossy one, each trial a full duration, until the interval is within `resolution` of the rate or
 * `maxTrials` are spent.
 *
 * One refinement, as FD.io CSIT's MLRsearch does: a lossy trial measured what the device did forward, and when
 * that rate (less a margin) lies below the midpoint, it is the next probe while no loss-free rate is known. A
 * slow device (PVP through an emulated guest: hundreds of frames/s behind a generator that offers 150 k) is
 * reached in two or three trials instead of eight halvings; a wide bracket is then halved in log space. The
 * bracket is only ever narrowed by a trial's own verdict (zero loss or not).
 */
import type { TrialResult } from "./generator.js";

export interface SearchOptions {
  /** Trials of the binary search after the first one at full speed. */
  maxTrials: number;
  /** Stop when (high − low) / high falls below this (0.02 = 2 %). */
  resolution: number;
  /** No probe below this rate (frames/s): a device that loses frames even there has no throughput (0). */
  minRatePps?: number;
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

/** Frames per second the device forwarded in a trial (what arrived, over the trial's own length). */
export function forwardedPps(t: TrialResult): number {
  return t.sent > 0 ? (t.offeredPps * t.received) / t.sent : 0;
}

/** Below the forwarded rate by this share: at exactly the rate a device just managed, it loses a few. */
const FORWARDED_MARGIN = 0.9;

export function nextProbe(low: number, high: number, lossy: TrialResult | null): number {
  const mid = (low + high) / 2;
  if (low === 0) {
    // No loss-free rate yet: just below what the lossy trial forwarded, or that rate itself.
    const forwarded = lossy ? forwardedPps(lossy) : 0;
    for (const estimate of [forwarded * FORWARDED_MARGIN, forwarded])
      if (estimate > 0 && estimate < mid) return estimate;
    return mid;
  }
  // A wide bracket (the estimate undershot: a device whose forwarding collapses under overload) is halved in
  // log space, so a factor of 1000 takes ten trials, not the thirty of linear halving; a narrow one linearly.
  return high / low > 2 ? Math.sqrt(low * high) : mid;
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
  const floor = options.minRatePps ?? 1;
  let low = 0;
  let high = first.offeredPps;
  let lastLossy: TrialResult = first;
  let best: TrialResult | null = null;
  for (let i = 0; i < options.maxTrials && high > floor; i++) {
    const rate = Math.max(floor, nextProbe(low, high, lastLossy));
    const t = await trial(rate);
    trials.push(t);
    if (t.lost === 0) {
      low = rate;
      if (!best || t.offeredPps > best.offeredPps) best = t;
    } else {
      high = rate;
      lastLossy = t;
    }
    if ((high - low) / high < options.resolution) break;
  }
  return { throughputPps: best ? best.offeredPps : 0, best, limitedBy: "device", trials };
}
