/**
 * Realistic RunRecords for tests: cyclictest-like histograms (a tight peak a few µs above the minimum and a
 * thin tail out to the max, as in the published KVM4NFV guest results), built from a seeded PRNG so every
 * test sees the same numbers.
 */
import {
  type CpuResult,
  type Histogram,
  PERCENTILE_KEYS,
  type Percentile,
  type PercentileKey,
  type RunRecord,
} from "../../src/measure/types.js";

/** mulberry32: tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HistogramSpec {
  samples: number;
  minUs: number;
  /** Latency of the peak bucket. */
  peakUs: number;
  maxUs: number;
  /** Histogram width (cyclictest -h). */
  widthUs: number;
  seed: number;
  /** Samples to put above the width (counted as overflows). */
  overflows?: number;
}

/** A histogram whose counts fall off geometrically either side of the peak, with a few tail samples. */
export function makeHistogram(spec: HistogramSpec): Histogram {
  const rnd = prng(spec.seed);
  const counts = new Map<number, number>();
  const overflows = spec.overflows ?? 0;
  let left = spec.samples - overflows;
  const add = (us: number, n: number) => {
    counts.set(us, (counts.get(us) ?? 0) + n);
    left -= n;
  };
  add(spec.minUs, 1);
  const top = Math.min(spec.maxUs, spec.widthUs - 1);
  if (top > spec.minUs) add(top, 1);
  // Tail: a handful of samples spread between peak+2 and the max.
  for (let i = 0; i < Math.min(40, left); i++) {
    const us = spec.peakUs + 2 + Math.floor(rnd() * Math.max(1, top - spec.peakUs - 2));
    add(Math.min(us, top), 1);
  }
  // Body: geometric fall-off around the peak.
  const body = left;
  const weights: Array<[number, number]> = [];
  for (let us = spec.minUs; us <= Math.min(top, spec.peakUs + 6); us++) {
    weights.push([us, 0.25 ** Math.abs(us - spec.peakUs) * (0.9 + 0.2 * rnd())]);
  }
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let given = 0;
  weights.forEach(([us, w], i) => {
    const n = i === weights.length - 1 ? body - given : Math.floor((body * w) / total);
    given += n;
    if (n > 0) add(us, n);
  });
  const buckets = [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  return { buckets, overflows, maxUs: spec.widthUs };
}

export function percentilesOf(h: Histogram): Partial<Record<PercentileKey, Percentile>> {
  const total = h.buckets.reduce((s, [, n]) => s + n, 0) + h.overflows;
  const out: Partial<Record<PercentileKey, Percentile>> = {};
  for (const key of PERCENTILE_KEYS) {
    const q = Number(key.slice(1)) / 100;
    const rank = Math.ceil(q * total);
    let seen = 0;
    let found: Percentile = { valueUs: h.maxUs, inOverflow: true };
    for (const [us, n] of h.buckets) {
      seen += n;
      if (seen >= rank) {
        found = { valueUs: us, inOverflow: false };
        break;
      }
    }
    out[key] = found;
  }
  return out;
}

export function makeCpu(
  cpu: number,
  thread: number,
  spec: Omit<HistogramSpec, "seed">,
  seed = cpu + 1,
): CpuResult {
  const histogram = makeHistogram({ ...spec, seed });
  const inBuckets = histogram.buckets.reduce((s, [, n]) => s + n, 0);
  const sum = histogram.buckets.reduce((s, [us, n]) => s + us * n, 0);
  const maxSeen = histogram.buckets[histogram.buckets.length - 1]?.[0] ?? 0;
  return {
    cpu,
    thread,
    minUs: histogram.buckets[0]?.[0] ?? 0,
    avgUs: Math.round((sum / inBuckets) * 100) / 100,
    maxUs: histogram.overflows > 0 ? Math.max(spec.maxUs, maxSeen) : maxSeen,
    samples: spec.samples,
    overflows: histogram.overflows,
    histogram,
    percentiles: percentilesOf(histogram),
  };
}

/** A CPU's figures alone (1000 samples, no histogram): what SLA and comparison tests judge. */
export function figuresCpu(
  n: number,
  figures: { minUs: number; avgUs: number; maxUs: number },
  percentiles: CpuResult["percentiles"] = {},
): CpuResult {
  return { cpu: n, thread: n, ...figures, samples: 1000, overflows: 0, histogram: null, percentiles };
}

/** A guest cyclictest run like the KVM4NFV daily job: 2 measured vCPUs, -h 90, SLA 50/100/1000 µs. */
export function makeTimerRun(
  overrides: Partial<RunRecord> = {},
  opts: { maxUs?: number; peakUs?: number } = {},
): RunRecord {
  const peak = opts.peakUs ?? 5;
  const spec = { samples: 120000, minUs: peak - 2, peakUs: peak, maxUs: opts.maxUs ?? 16, widthUs: 90 };
  const cpus = [makeCpu(2, 0, spec, 11), makeCpu(3, 1, { ...spec, maxUs: (opts.maxUs ?? 16) - 3 }, 12)];
  return {
    id: null,
    type: "timer",
    label: "idle_idle",
    startedAt: "2026-11-21T22:00:00.000Z",
    endedAt: "2026-11-21T22:02:01.500Z",
    params: {
      cpus: "2-3",
      loops: 120000,
      intervalUs: 1000,
      priority: 99,
      histogramUs: 90,
      load: "idle_idle",
    },
    environment: {
      hostname: "pod1-node2",
      kernelRelease: "6.1.0-27-rt-amd64",
      kernelCmdline:
        "BOOT_IMAGE=/vmlinuz-6.1.0-27-rt-amd64 isolcpus=managed_irq,domain,2-3 nohz_full=2-3 rcu_nocbs=2-3 idle=poll tsc=reliable",
      cpuModel: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
      realtimeKernel: true,
      toolVersions: { cyclictest: "2.5", "stress-ng": "0.15.06", qemu: "7.2.19" },
      where: "guest",
      accelerator: "kvm",
      guestKernelRelease: "6.1.0-27-rt-amd64",
      guestCmdline: "isolcpus=1 nohz_full=1 rcu_nocbs=1 mce=off idle=poll tsc=reliable",
    },
    cpus,
    metrics: {},
    raw: {
      "cyclictest.stdout":
        "T: 0 ( 1234) P:99 I:1000 C: 120000 Min:      3 Act:    5 Avg:    5 Max:      16\n",
    },
    verdict: {
      status: "pass",
      limits: [
        { metric: "min", limitUs: 50 },
        { metric: "avg", limitUs: 100 },
        { metric: "max", limitUs: 1000 },
      ],
      breaches: [],
      summary: "SLA met: min ≤ 50 µs, avg ≤ 100 µs, max ≤ 1000 µs",
    },
    ...overrides,
  };
}

/** A live migration run (QMP query-migrate figures, ms). */
export function makeMigrationRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: null,
    type: "migration",
    label: "idle guest 8G",
    startedAt: "2026-11-21T23:00:00.000Z",
    endedAt: "2026-11-21T23:00:02.000Z",
    params: { memoryMiB: 8192, maxBandwidth: 1.25e9, downtimeLimitMs: 10 },
    environment: {
      hostname: "pod1-node2",
      kernelRelease: "6.1.0-27-amd64",
      kernelCmdline: "BOOT_IMAGE=/vmlinuz-6.1.0-27-amd64 quiet",
      cpuModel: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
      realtimeKernel: false,
      toolVersions: { qemu: "7.2.19" },
      where: "host",
      accelerator: "kvm",
    },
    cpus: [],
    metrics: {
      total_time_ms: 1522,
      downtime_ms: 9,
      setup_time_ms: 12,
      transferred_bytes: 412_000_000,
      status: "completed",
    },
    raw: { "qmp-events.jsonl": '{"event":"STOP"}\n{"event":"RESUME"}\n' },
    verdict: {
      status: "pass",
      limits: [],
      breaches: [],
      summary: "total 1522 ms ≤ 2000 ms, downtime 9 ms ≤ 10 ms",
    },
    ...overrides,
  };
}
