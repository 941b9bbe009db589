/**
 * A forwarding result as the store keeps it: one run per frame size, as VSPERF reports one row per frame size,
 * labelled with VSPERF's test name (phy2phy_tput, pvp_tput, …; *_cont at a fixed rate). The latency
 * distribution is the run's one "CPU" result — the generator's measuring thread on the CPU it was pinned to —
 * so histograms, percentiles, SLA checks, compare and the report work on it as on a timer run.
 */

import { evaluateSla, formatSla } from "../sla.js";
import { computePercentiles, histogramFromCounts } from "../stats.js";
import type { CpuResult, RunEnvironment, RunRecord, SlaLimit, Verdict } from "../types.js";
import type { LatencyResult } from "./generator.js";
import type { ForwardingOptions, ForwardingOutcome, FrameSizeResult } from "./session.js";

/** Latency histogram width (µs): samples beyond it count as overflows. */
export const LATENCY_HISTOGRAM_US = 10_000;

export interface ForwardingSla {
  latency: SlaLimit[];
  /** Lowest acceptable zero-loss throughput, frames/s. */
  minThroughputPps?: number;
}

export function vsperfName(topology: string, fixedRate: boolean): string {
  return `${topology}_${fixedRate ? "cont" : "tput"}`;
}

export function latencyCpuResult(l: LatencyResult, cpu: number): CpuResult {
  const counts = new Array<number>(LATENCY_HISTOGRAM_US).fill(0);
  let overflows = 0;
  for (const us of l.samplesUs) {
    const bucket = Math.ceil(us);
    if (bucket >= LATENCY_HISTOGRAM_US) overflows++;
    else counts[bucket]!++;
  }
  const histogram = histogramFromCounts(counts, overflows, LATENCY_HISTOGRAM_US);
  return {
    cpu,
    thread: 0,
    minUs: l.summary.minUs,
    avgUs: l.summary.avgUs,
    maxUs: l.summary.maxUs,
    samples: l.samplesUs.length,
    overflows,
    histogram,
    percentiles: computePercentiles(histogram),
  };
}

export function judge(sla: ForwardingSla | undefined, cpus: CpuResult[], throughputPps: number): Verdict {
  const limits = sla?.latency ?? [];
  const latency: Verdict =
    limits.length > 0
      ? evaluateSla(limits, cpus)
      : { status: "pass", limits: [], breaches: [], summary: "no latency SLA set" };
  const min = sla?.minThroughputPps;
  if (min === undefined) return latency;
  if (throughputPps >= min) {
    return {
      ...latency,
      summary: `${latency.summary}; throughput ${Math.round(throughputPps)} ≥ ${min} fps`,
    };
  }
  return {
    ...latency,
    status: "fail",
    summary: `${latency.status === "pass" ? "SLA broken" : latency.summary}: throughput ${Math.round(throughputPps)} < ${min} fps`,
  };
}

export function buildRecords(
  o: ForwardingOptions,
  out: ForwardingOutcome,
  environment: RunEnvironment,
  sla: ForwardingSla | undefined,
  session: string,
): RunRecord[] {
  return out.results.map((r: FrameSizeResult) => {
    const cpus = r.latency ? [latencyCpuResult(r.latency, o.mainCpu)] : [];
    const best = r.search.best;
    const first = r.search.trials[0];
    const verdict: Verdict =
      r.latency === null
        ? {
            status: "fail",
            limits: sla?.latency ?? [],
            breaches: [],
            summary: "no zero-loss rate found: latency not measured",
          }
        : judge(sla, cpus, r.search.throughputPps);
    const raw: Record<string, string> = { ...out.raw, ...r.raw };
    raw["trials.json"] = JSON.stringify(
      r.search.trials.map(({ output: _o, ...t }) => t),
      null,
      1,
    );
    return {
      id: null,
      type: "forwarding",
      label: vsperfName(o.topology, o.ratePps !== undefined),
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      params: {
        test: vsperfName(o.topology, o.ratePps !== undefined),
        session,
        topology: o.topology,
        switch: o.switch,
        vnf: out.vnf ? out.vnf.vnf : "none",
        ...(out.vnf
          ? {
              vnfForwarder: out.vnf.forwarder,
              guestAccel: out.vnf.accel,
              guestKernel: out.vnf.guestKernel,
              guestCmdline: out.vnf.guestCmdline,
              ...(out.vnf.notes.length ? { notes: out.vnf.notes.join(" ") } : {}),
            }
          : {}),
        ports: out.switch.ports,
        switchDescription: out.switch.description,
        fwdMode: o.switch === "testpmd" ? o.fwdMode : null,
        pmdCpus: o.pmdCpus.join(","),
        generatorCpu: o.mainCpu,
        generatorServerCpu: o.serverCpu ?? o.mainCpu,
        frameSize: r.frameSize,
        durationS: o.durationS,
        rate: o.ratePps ?? "rfc2544-search",
        latencyShare: o.latencyShare,
        generator: out.generator.name,
        hugepages2M: out.hugepages,
        ...(sla
          ? {
              sla: [
                formatSla(sla.latency),
                sla.minThroughputPps !== undefined ? `throughput=${sla.minThroughputPps}` : "",
              ]
                .filter(Boolean)
                .join(","),
            }
          : {}),
      },
      environment: {
        ...environment,
        toolVersions: {
          ...environment.toolVersions,
          ...out.switch.versions,
          ...(out.generator.version ? { sockperf: out.generator.version } : {}),
          ...(out.vnf?.qemuVersion ? { qemu: out.vnf.qemuVersion } : {}),
        },
      },
      cpus,
      metrics: {
        frameSize: r.frameSize,
        throughputPps: round(r.search.throughputPps),
        throughputMbps: round((r.search.throughputPps * r.frameSize * 8) / 1e6),
        limitedBy: r.search.limitedBy,
        generatorMaxPps: first ? round(first.offeredPps) : null,
        lossPctAtThroughput: best ? round(best.lossPct) : null,
        lossPctAtMax: first ? round(first.lossPct) : null,
        trials: r.search.trials.length,
        latencyRatePps: r.latency ? round(r.latency.ratePps) : null,
        latencyMinUs: r.latency?.summary.minUs ?? null,
        latencyAvgUs: r.latency?.summary.avgUs ?? null,
        latencyMaxUs: r.latency?.summary.maxUs ?? null,
        latencyStdDevUs: r.latency?.summary.stdDevUs ?? null,
        latencySamples: r.latency?.samplesUs.length ?? null,
        latencyDropped: r.latency?.summary.dropped ?? null,
        // Unloaded path latency (1 s sockperf ping-pong, 18-byte payload, before the trials), shared by the session.
        pingPongAvgUs: out.generator.pingPong?.avgUs ?? null,
        pingPongP50Us: out.generator.pingPong?.percentiles["50.000"] ?? null,
        pingPongP99Us: out.generator.pingPong?.percentiles["99.000"] ?? null,
        sockperfP99Us: r.latency?.summary.percentiles["99.000"] ?? null,
        sockperfP9999Us: r.latency?.summary.percentiles["99.990"] ?? null,
      },
      raw,
      verdict,
    };
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
