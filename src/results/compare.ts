/**
 * Compare two runs: per CPU (matched by CPU number; by thread index when either run names threads only, an
 * imported file whose CPUs are unknown) and per metric, A and B side by side with the ratio B/A
 * and a regression flag when B is worse than A by more than the threshold. Pure: no store, no printing.
 *
 * For latencies "worse" means higher. Run-level metrics (migration total time, downtime, …) are only judged
 * when their name says they are a duration; others (bandwidth, byte counts) are shown with a ratio but never
 * flagged, because their good direction is not known.
 */
import { UsageError } from "../errors.js";
import { PERCENTILE_KEYS, type PercentileKey, type RunRecord, type TestType } from "../measure/types.js";

export type LatencyMetric = "min" | "avg" | "max" | PercentileKey;
export const LATENCY_METRICS: readonly LatencyMetric[] = ["min", "avg", "max", ...PERCENTILE_KEYS];

export interface MetricComparison {
  metric: string;
  a: number | null;
  b: number | null;
  /** B/A; null when either is missing or A is 0 (no meaningful ratio). */
  ratio: number | null;
  /** True when B is worse than A by more than the threshold (or A was 0 and B is not); never when A is a lower bound. */
  regression: boolean;
  /** The value is a lower bound: the percentile fell among the histogram overflows. */
  aLowerBound?: boolean;
  bLowerBound?: boolean;
}

export interface CpuComparison {
  /** The CPU both runs measured on; null when the runs are matched by thread (see Comparison.matchedBy). */
  cpu: number | null;
  /** The measuring thread's index, set when the runs are matched by thread. */
  thread?: number;
  inA: boolean;
  inB: boolean;
  metrics: MetricComparison[];
}

export interface RunRef {
  id: number | null;
  type: TestType;
  label: string;
  startedAt: string;
}

export interface Comparison {
  a: RunRef;
  b: RunRef;
  thresholdPct: number;
  /** "thread" when either run names threads, not CPUs (params.cpusKnown false): a thread is never called a CPU. */
  matchedBy: "cpu" | "thread";
  cpus: CpuComparison[];
  /** Run-level numeric metrics (migration figures), union of both runs' keys. */
  metrics: MetricComparison[];
  regressions: number;
}

export const DEFAULT_THRESHOLD_PCT = 10;

/** False for an imported run whose file names threads only: its `cpu` fields hold thread indexes. */
export function cpusKnown(run: RunRecord): boolean {
  return run.params.cpusKnown !== false;
}

/** "CPU 3", or "thread 0" where the run cannot know the CPU its thread ran on. */
export function cpuName(run: RunRecord, c: { cpu: number; thread: number }): string {
  return cpusKnown(run) ? `CPU ${c.cpu}` : `thread ${c.thread}`;
}

/** The key two runs' CPU results are matched on: the CPU, or the thread where either run names threads only. */
export function matchKey(a: RunRecord, b: RunRecord): "cpu" | "thread" {
  return cpusKnown(a) && cpusKnown(b) ? "cpu" : "thread";
}

/** "10%", "10" or "2.5%" → percent; anything else is a usage error. */
export function parseThreshold(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new UsageError(`bad threshold "${text}": expected a percentage like 10%`);
  return Number(m[1]);
}

function judge(
  metric: string,
  a: number | null,
  b: number | null,
  thresholdPct: number,
  higherIsWorse: boolean,
): MetricComparison {
  let ratio: number | null = null;
  let regression = false;
  if (a !== null && b !== null) {
    if (a !== 0) ratio = b / a;
    else if (b === 0) ratio = 1;
    if (higherIsWorse) regression = a === 0 ? b > 0 : b > a * (1 + thresholdPct / 100);
  }
  return { metric, a, b, ratio, regression };
}

function latencyValue(
  run: RunRecord["cpus"][number] | undefined,
  metric: LatencyMetric,
): { v: number | null; lb: boolean } {
  if (!run) return { v: null, lb: false };
  if (metric === "min") return { v: run.minUs, lb: false };
  if (metric === "avg") return { v: run.avgUs, lb: false };
  if (metric === "max") return { v: run.maxUs, lb: false };
  const p = run.percentiles[metric];
  return p ? { v: p.valueUs, lb: p.inOverflow } : { v: null, lb: false };
}

// snake_case (total_time_ms, downtime_ms) and camelCase (worstMaxUs, durationMs) duration names.
const DURATION_NAME = /(^|_)(ms|us|ns|s|time|downtime)$|[a-z](Ms|Us|Ns|Time|Downtime)$/;
// Durations where longer is not worse: how long the guest had been up, how long it took to answer a ping.
const NOT_A_COST = /uptime|ping/i;
// Figures where more is better (a forwarding run's zero-loss throughput).
const THROUGHPUT_NAME = /^throughput(Pps|Mbps)$/;

function ref(r: RunRecord): RunRef {
  return { id: r.id, type: r.type, label: r.label, startedAt: r.startedAt };
}

export function compareRuns(
  a: RunRecord,
  b: RunRecord,
  /** byThread: match by thread even where both runs know their CPUs (a report of several runs, one of them
   *  naming threads only, matches all of them the same way). */
  options: { thresholdPct?: number; byThread?: boolean } = {},
): Comparison {
  const thresholdPct = options.thresholdPct ?? DEFAULT_THRESHOLD_PCT;
  const matchedBy = options.byThread ? "thread" : matchKey(a, b);
  const keyOf = (c: RunRecord["cpus"][number]) => (matchedBy === "cpu" ? c.cpu : c.thread);
  const keys0 = [...new Set([...a.cpus.map(keyOf), ...b.cpus.map(keyOf)])].sort((x, y) => x - y);
  const cpus: CpuComparison[] = keys0.map((key) => {
    const ca = a.cpus.find((c) => keyOf(c) === key);
    const cb = b.cpus.find((c) => keyOf(c) === key);
    const metrics = LATENCY_METRICS.map((metric) => {
      const va = latencyValue(ca, metric);
      const vb = latencyValue(cb, metric);
      const m = judge(metric, va.v, vb.v, thresholdPct, true);
      if (vb.lb) m.bLowerBound = true;
      if (va.lb) {
        // A is only known to be above its histogram: no ratio can be claimed, nor a regression.
        m.aLowerBound = true;
        m.ratio = null;
        m.regression = false;
      }
      return m;
    }).filter((m) => m.a !== null || m.b !== null);
    const where = matchedBy === "cpu" ? { cpu: key } : { cpu: null, thread: key };
    return { ...where, inA: ca !== undefined, inB: cb !== undefined, metrics };
  });
  const keys = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])];
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const metrics = keys
    .map((k) =>
      judge(
        k,
        num(a.metrics[k]),
        num(b.metrics[k]),
        thresholdPct,
        DURATION_NAME.test(k) && !NOT_A_COST.test(k),
      ),
    )
    .filter((m) => m.a !== null || m.b !== null);
  // Forwarding throughput (zero-loss frames/s, Mbit/s): lower is worse.
  for (const m of metrics) {
    if (!THROUGHPUT_NAME.test(m.metric) || m.a === null || m.b === null) continue;
    m.regression = m.b < m.a * (1 - thresholdPct / 100);
  }
  const regressions =
    cpus.reduce((n, c) => n + c.metrics.filter((m) => m.regression).length, 0) +
    metrics.filter((m) => m.regression).length;
  return { a: ref(a), b: ref(b), thresholdPct, matchedBy, cpus, metrics, regressions };
}
