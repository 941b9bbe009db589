/**
 * The measurement run record: what a test produces, what the store keeps, what reports and exports read.
 * All latencies are in microseconds (cyclictest and oslat's native unit), times are ISO-8601 strings.
 */

export type TestType =
  | "timer"
  | "oslat"
  | "migration"
  | "forwarding"
  | "timerlat"
  | "osnoise"
  | "hwlat"
  | "irq";

/**
 * Latency histogram of one CPU/thread: bucket i counts samples of latency i µs (bucket width 1 µs; finer when
 * the tool measured finer: cyclictest -N buckets are 0.001 µs, oslat -W 500 buckets 0.5 µs).
 */
export interface Histogram {
  /** [latencyUs, count] pairs, ascending, only non-empty buckets. */
  buckets: Array<[number, number]>;
  /** Samples above the last bucket (cyclictest's "Histogram Overflows"). */
  overflows: number;
  /** Width of the histogram (cyclictest -h N): buckets 0..N-1. When the run's params say the width is
   *  unknown (rt-tests >= 2.7 text without its -h value) this is only a lower bound. */
  maxUs: number;
}

export type PercentileKey = "p50" | "p90" | "p99" | "p99.9" | "p99.99" | "p99.999";
export const PERCENTILE_KEYS: readonly PercentileKey[] = ["p50", "p90", "p99", "p99.9", "p99.99", "p99.999"];

export interface Percentile {
  /** µs; when inOverflow, this is the histogram width (a lower bound). */
  valueUs: number;
  /** True when the percentile falls among the overflow samples: the true value is > valueUs. */
  inOverflow: boolean;
}

export interface CpuResult {
  /** Host CPU (or guest vCPU for guest runs) the measuring thread ran on. */
  cpu: number;
  /** Thread index as the tool numbered it. */
  thread: number;
  minUs: number;
  avgUs: number;
  maxUs: number;
  samples: number;
  overflows: number;
  histogram: Histogram | null;
  percentiles: Partial<Record<PercentileKey, Percentile>>;
}

/** One SLA limit: "min"|"avg"|"max" or a percentile key, with its limit in µs. */
export interface SlaLimit {
  metric: "min" | "avg" | "max" | PercentileKey;
  limitUs: number;
}

export interface SlaBreach {
  metric: SlaLimit["metric"];
  limitUs: number;
  /** Worst observed value over all CPUs, and the CPU it came from. */
  observedUs: number;
  cpu: number;
}

export interface Verdict {
  /** "pass" SLA met; "fail" SLA broken; "error" the run did not complete. */
  status: "pass" | "fail" | "error";
  limits: SlaLimit[];
  breaches: SlaBreach[];
  /** Human sentence: "max 1204 µs > 1000 µs on CPU 1". */
  summary: string;
}

/** How the measurement was made: enough to reproduce and to judge it. */
export interface RunEnvironment {
  hostname: string | null;
  kernelRelease: string | null;
  kernelCmdline: string | null;
  cpuModel: string | null;
  realtimeKernel: boolean | null;
  /** e.g. { cyclictest: "2.5", "stress-ng": "0.15.06", qemu: "7.2.19" } */
  toolVersions: Record<string, string>;
  /** "host" or "guest" */
  where: "host" | "guest";
  /** For guest runs: "kvm" | "tcg" (TCG latencies are emulated, not real). */
  accelerator?: "kvm" | "tcg";
  guestKernelRelease?: string | null;
  guestCmdline?: string | null;
}

export interface RunRecord {
  /** Assigned by the store (null before it is saved). */
  id: number | null;
  type: TestType;
  /** Free-form label, e.g. the load combination "memorystress_idle". */
  label: string;
  startedAt: string;
  endedAt: string;
  /** Parameters as given (cpus, duration, interval, priority, load, sla spec, …). */
  params: Record<string, unknown>;
  environment: RunEnvironment;
  /** Per-CPU timer/oslat results (empty for migration runs). */
  cpus: CpuResult[];
  /** Type-specific figures (migration: total-time, downtime, …). */
  metrics: Record<string, number | string | null>;
  /** Raw tool outputs keyed by name ("cyclictest.json", "cyclictest.stdout", "qmp-events.jsonl", …). */
  raw: Record<string, string>;
  verdict: Verdict;
}
