/**
 * Service-level limits on measured latency: "min=50,avg=100,max=1000,p99.99=30" (µs). Every limit is an upper
 * bound on the worst CPU, as Yardstick's max_min_latency/max_avg_latency/max_max_latency were; the seeds'
 * defaults are min=50, avg=100, max=1000.
 */
import { UsageError } from "../errors.js";
import { formatPercentile } from "./stats.js";
import {
  type CpuResult,
  PERCENTILE_KEYS,
  type PercentileKey,
  type SlaBreach,
  type SlaLimit,
  type Verdict,
} from "./types.js";

export const DEFAULT_SLA = "min=50,avg=100,max=1000";
const METRICS: readonly SlaLimit["metric"][] = ["min", "avg", "max", ...PERCENTILE_KEYS];
const FORM = `expected metric=µs pairs separated by commas, e.g. "${DEFAULT_SLA},p99.99=30" (metrics: ${METRICS.join(", ")})`;

export function parseSla(spec: string): SlaLimit[] {
  const limits: SlaLimit[] = [];
  if (spec.trim() === "") throw new UsageError("--sla is empty", FORM);
  for (const part of spec.split(",")) {
    const m = /^\s*([a-z0-9.]+)\s*=\s*(\d+(?:\.\d+)?)\s*(?:us|µs)?\s*$/.exec(part);
    if (!m) throw new UsageError(`--sla: malformed limit "${part.trim()}"`, FORM);
    const metric = m[1] as SlaLimit["metric"];
    if (!METRICS.includes(metric)) throw new UsageError(`--sla: unknown metric "${m[1]}"`, FORM);
    if (limits.some((l) => l.metric === metric)) throw new UsageError(`--sla: "${metric}" given twice`, FORM);
    limits.push({ metric, limitUs: Number(m[2]) });
  }
  return limits;
}

export function formatSla(limits: readonly SlaLimit[]): string {
  return limits.map((l) => `${l.metric}=${l.limitUs}`).join(",");
}

interface Observation {
  valueUs: number;
  /** The percentile lies beyond the histogram: the true value is > valueUs. */
  beyond: boolean;
}

function observe(cpu: CpuResult, metric: SlaLimit["metric"]): Observation | undefined {
  if (metric === "min") return { valueUs: cpu.minUs, beyond: false };
  if (metric === "avg") return { valueUs: cpu.avgUs, beyond: false };
  if (metric === "max") return { valueUs: cpu.maxUs, beyond: false };
  const p = cpu.percentiles[metric as PercentileKey];
  return p ? { valueUs: p.valueUs, beyond: p.inOverflow } : undefined;
}

/**
 * One breach per broken limit, naming the worst CPU and its value. A percentile beyond the histogram is a
 * breach when the histogram ends at or above the limit (the true value is larger still) — and also when it
 * ends below it, since the run cannot show the limit was kept; the summary says "> width".
 */
export function evaluateSla(limits: readonly SlaLimit[], cpus: readonly CpuResult[]): Verdict {
  if (cpus.length === 0) {
    return { status: "error", limits: [...limits], breaches: [], summary: "no CPU results to judge" };
  }
  const breaches: SlaBreach[] = [];
  const phrases: string[] = [];
  const missing: string[] = [];
  for (const limit of limits) {
    // Among the CPUs that break the limit, the worst one is named (a value beyond the histogram ranks just
    // above its width, since it is larger than the width).
    let worst: { cpu: CpuResult; obs: Observation } | undefined;
    let absent = false;
    const rank = (o: Observation) => o.valueUs + (o.beyond ? 0.5 : 0);
    for (const cpu of cpus) {
      const obs = observe(cpu, limit.metric);
      if (!obs) {
        absent = true;
        continue;
      }
      const broken = obs.beyond || obs.valueUs > limit.limitUs;
      if (broken && (!worst || rank(obs) > rank(worst.obs))) worst = { cpu, obs };
    }
    if (absent) missing.push(limit.metric);
    if (!worst) continue;
    breaches.push({
      metric: limit.metric,
      limitUs: limit.limitUs,
      observedUs: worst.obs.valueUs,
      cpu: worst.cpu.cpu,
    });
    const cpuName = `on CPU ${worst.cpu.cpu}`;
    if (worst.obs.beyond && worst.obs.valueUs < limit.limitUs) {
      const shown = formatPercentile({ valueUs: worst.obs.valueUs, inOverflow: true });
      phrases.push(
        `${limit.metric} ${shown} ${cpuName}, beyond the histogram: ≤ ${limit.limitUs} µs unproven`,
      );
    } else {
      const shown = worst.obs.beyond ? `> ${worst.obs.valueUs} µs` : `${worst.obs.valueUs} µs`;
      phrases.push(`${limit.metric} ${shown} > ${limit.limitUs} µs ${cpuName}`);
    }
  }
  if (breaches.length > 0) {
    return { status: "fail", limits: [...limits], breaches, summary: `SLA broken: ${phrases.join("; ")}` };
  }
  if (missing.length > 0) {
    return {
      status: "error",
      limits: [...limits],
      breaches,
      summary: `SLA not verifiable: no histogram for ${missing.join(", ")}`,
    };
  }
  return { status: "pass", limits: [...limits], breaches, summary: `SLA met (${formatSla(limits)})` };
}
