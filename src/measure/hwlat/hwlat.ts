/**
 * `test hwlat`: rt-tests' hwlatdetect (the kernel's hwlat tracer: a thread spins with interrupts off and
 * records every gap above the threshold — latency the OS did not cause: SMIs, firmware, the hypervisor).
 * The tuning guide says SMIs cannot simply be switched off, so measuring them is the answer; cnf-tests runs
 * it first in its latency suite (threshold 20 µs). Stored as one result for the CPU set: samples = samples
 * recorded, max = hwlatdetect's "Max Latency" (0 when below the threshold), min/avg over the samples.
 * Each sample's worst gap (inner or outer) feeds a 1 µs histogram; the why/ module names platform.smi.
 */
import { type Exec, realExec } from "../../exec.js";
import { formatCpuList } from "../../host/parse/cpulist.js";
import { parseRtTestsVersion, readEnvironment } from "../environment.js";
import {
  guestRecordBase,
  hostPrelude,
  type InstrumentOptions,
  runInstrumentInGuest,
  runToolToEnd,
} from "../rtla/instrument.js";
import { GUEST_RT_VCPU, type RtGuestOutcome } from "../rtla/rt-guest.js";
import { guestTracerCheck, requireTracer, tracerMissing } from "../rtla/tracers.js";
import { evaluateSla, formatSla, parseSla } from "../sla.js";
import { computePercentiles } from "../stats.js";
import { chooseCpus, explainFailure } from "../timer.js";
import type { CpuResult, RunEnvironment, RunRecord, SlaLimit } from "../types.js";
import { explainHwlat } from "../why/why.js";
import { parseHwlatdetect } from "./parse.js";

/** cnf-tests' hwlatdetect threshold (HWLATDETECT_MAXIMUM_LATENCY 20 µs). */
export const DEFAULT_HWLAT_SLA = "max=20";
export const GUEST_PYTHON_CMD = ["python3.11", "-S", "/usr/sbin/hwlatdetect"];

export interface HwlatOptions extends InstrumentOptions {
  /** Samples above this are recorded (hwlatdetect --threshold); default 10 µs, hwlatdetect's own. */
  thresholdUs?: number;
}

export interface HwlatPlan {
  cpus: number[];
  args: string[];
  expectedMs: number;
  sla: SlaLimit[];
  histogramUs: number;
}

export function planHwlat(options: HwlatOptions, cpus: number[]): HwlatPlan {
  const sla = [...(options.sla ?? parseSla(DEFAULT_HWLAT_SLA))];
  const seconds = Math.max(1, Math.round((options.durationMs ?? 60_000) / 1000));
  const args = [
    "--duration",
    String(seconds),
    "--threshold",
    `${options.thresholdUs ?? 10}us`,
    "--cpu-list",
    formatCpuList(cpus),
  ];
  const histogramUs = Math.max(1000, ...sla.map((l) => Math.ceil(l.limitUs)));
  return { cpus, args, expectedMs: seconds * 1000, sla, histogramUs };
}

/**
 * hwlatdetect leaves tracefs changed (tracing_cpumask at --cpu-list, tracing_thresh at --threshold): they are
 * put back, so what runs next in the same boot (a --trace capture, rtla) sees tracefs as it was.
 */
export function hwlatGuestScript(plan: HwlatPlan): string {
  return guestTracerCheck(
    "hwlat",
    "hwlat",
    [
      "T=/sys/kernel/tracing; HWMASK=$(cat $T/tracing_cpumask); HWTHRESH=$(cat $T/tracing_thresh)",
      `${GUEST_PYTHON_CMD.join(" ")} ${plan.args.join(" ")} > /out/hwlat.stdout 2> /out/hwlat.stderr; echo $? > /out/hwlat.rc`,
      'echo "$HWMASK" > $T/tracing_cpumask; echo "$HWTHRESH" > $T/tracing_thresh',
    ].join("\n"),
  );
}

export function assembleHwlatRecord(input: {
  options: HwlatOptions;
  plan: HwlatPlan;
  load: string;
  startedAt: string;
  environment: RunEnvironment;
  raw: Record<string, string>;
  output: { command: string; exitCode: number; stdout: string; stderr: string };
  extraParams?: Record<string, unknown>;
}): RunRecord {
  const { plan, output, raw } = input;
  raw["hwlatdetect.stdout"] = output.stdout;
  if (output.stderr.trim()) raw["hwlatdetect.stderr"] = output.stderr;
  if (/hwlat tracer not available/.test(output.stderr + output.stdout)) throw tracerMissing("hwlat", null);
  // hwlatdetect exits 1 when max > hardlimit (the threshold): that is a finding, not a failure.
  if (output.exitCode !== 0 && output.exitCode !== 1) {
    throw explainFailure(output.exitCode, output.stderr, output.stdout, output.command);
  }
  const r = parseHwlatdetect("hwlatdetect output", output.stdout);
  const gaps = r.samples.map((s) => Math.max(s.innerUs, s.outerUs));
  const counts = new Map<number, number>();
  let overflows = 0;
  for (const g of gaps) {
    if (g >= plan.histogramUs) overflows++;
    else counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  const histogram = {
    buckets: [...counts.entries()].sort((a, b) => a[0] - b[0]),
    overflows,
    maxUs: plan.histogramUs,
  };
  const cpu: CpuResult = {
    cpu: plan.cpus[0] ?? 0,
    thread: 0,
    minUs: gaps.length ? Math.min(...gaps) : 0,
    avgUs: gaps.length ? Math.round((gaps.reduce((a, b) => a + b, 0) / gaps.length) * 100) / 100 : 0,
    maxUs: r.maxUs ?? 0,
    samples: r.samplesRecorded,
    overflows,
    histogram: gaps.length ? histogram : null,
    percentiles: gaps.length ? computePercentiles(histogram) : {},
  };
  const metrics: Record<string, number | string | null> = {
    samples: r.samplesRecorded,
    samplesOverThreshold: r.samplesExceeding,
    maxUs: r.maxUs ?? 0,
    thresholdUs: r.thresholdUs,
    windowUs: r.windowUs,
    widthUs: r.widthUs,
    smis: r.smis,
  };
  const why = explainHwlat(r.maxUs, r.samplesExceeding, r.thresholdUs);
  if (why) raw["why.json"] = JSON.stringify(why);
  return {
    id: null,
    type: "hwlat",
    label: input.options.label ?? input.load,
    startedAt: input.startedAt,
    endedAt: new Date().toISOString(),
    params: {
      where: input.environment.where,
      cpus: formatCpuList(plan.cpus),
      durationMs: plan.expectedMs,
      load: input.load,
      sla: formatSla(plan.sla),
      thresholdUs: input.options.thresholdUs ?? 10,
      command: output.command,
      ...input.extraParams,
    },
    environment: input.environment,
    cpus: [cpu],
    metrics,
    raw,
    verdict: evaluateSla(plan.sla, [{ ...cpu, percentiles: {} }]),
  };
}

export async function runHwlatTest(options: HwlatOptions = {}, exec: Exec = realExec): Promise<RunRecord> {
  if (options.where === "guest") {
    const plan = planHwlat(options, [GUEST_RT_VCPU]);
    // hwlatdetect spins with interrupts off on the measured CPU: no guest load beside it.
    const { outcome, load } = await runInstrumentInGuest(
      { ...options, guestLoad: "idle" },
      { expectedMs: plan.expectedMs, script: () => hwlatGuestScript(plan) },
      exec,
    );
    return hwlatRecordFromGuest(options, plan, outcome, load);
  }
  const { fs, extraParams } = hostPrelude(options, exec, "hwlatdetect");
  requireTracer(fs, "hwlat", options.node !== undefined ? `node ${options.node}: ` : "");
  const plan = planHwlat(options, chooseCpus(fs, options.cpus).cpus);
  const environment = readEnvironment(fs, {});
  const startedAt = new Date().toISOString();
  const r = await runToolToEnd(exec, options, "hwlatdetect", plan.args, plan.expectedMs + 60_000);
  return assembleHwlatRecord({
    options,
    plan,
    load: options.load ?? "idle",
    startedAt,
    environment,
    raw: {},
    output: { command: r.command, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr },
    extraParams,
  });
}

export function hwlatRecordFromGuest(
  options: HwlatOptions,
  plan: HwlatPlan,
  outcome: RtGuestOutcome,
  load: string,
): RunRecord {
  const out = outcome.result.outputs;
  const missing = out["hwlat.missing"];
  if (missing !== undefined) throw tracerMissing("hwlat", missing.trim().split(/\s+/).filter(Boolean));
  const { environment, raw } = guestRecordBase(outcome, {
    key: "rt-tests (guest)",
    value: parseRtTestsVersion(out["oslat.version"] ?? "", "oslat"),
  });
  return assembleHwlatRecord({
    options: { ...options, label: options.label ?? load },
    plan,
    load,
    startedAt: outcome.startedAt,
    environment,
    raw,
    output: {
      command: `hwlatdetect ${plan.args.join(" ")} (in the guest)`,
      exitCode: out["hwlat.rc"] === undefined ? -1 : Number(out["hwlat.rc"].trim()),
      stdout: out["hwlat.stdout"] ?? "",
      stderr: out["hwlat.stderr"] ?? "",
    },
    extraParams: outcome.params,
  });
}
