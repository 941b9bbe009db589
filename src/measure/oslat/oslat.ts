/**
 * The oslat test: rt-tests' oslat, a busy-polling thread per measured CPU reading the TSC in a loop — what a
 * DPDK-style poll-mode thread sees of the OS (cnf-tests runs it after hwlatdetect and cyclictest). On the
 * host or in the RT guest, under the same loads, stored, judged and reported like the timer test.
 *
 * The figures stored are oslat's own (min/avg/max from its report, the histogram from its buckets, read by
 * src/measure/parse/oslat.ts); only the percentiles are computed from the histogram.
 */
import { UsageError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import { formatCpuList } from "../../host/parse/cpulist.js";
import { parseRtTestsVersion, probeStressNg, readEnvironment } from "../environment.js";
import { withLoad } from "../load.js";
import { parseOslat } from "../parse/oslat.js";
import { type ProgressOptions, withProgress } from "../progress.js";
import {
  guestRecordBase,
  hostPrelude,
  type InstrumentOptions,
  runInstrumentInGuest,
  runToolToEnd,
  shq,
  withGuestLoad,
} from "../rtla/instrument.js";
import { GUEST_HK_VCPU, GUEST_RT_VCPU, type RtGuestOutcome } from "../rtla/rt-guest.js";
import { evaluateSla, formatSla, parseSla } from "../sla.js";
import { chooseCpus, explainFailure } from "../timer.js";
import type { RunEnvironment, RunRecord, SlaLimit } from "../types.js";

/** cnf-tests' example oslat threshold (OSLAT_MAXIMUM_LATENCY 20 µs). */
export const DEFAULT_OSLAT_SLA = "max=20";

export interface OslatOptions extends InstrumentOptions {
  /** Whole seconds (oslat -D); default 60 s. */
  durationMs?: number;
  /** SCHED_FIFO priority (oslat -f); default: oslat's own (SCHED_OTHER, as cnf-tests runs it). */
  priority?: number;
  pinSelf?: boolean;
  progress?: ProgressOptions;
}

export interface OslatPlan {
  cpus: number[];
  housekeeping: number[];
  args: string[];
  buckets: number;
  expectedMs: number;
  sla: SlaLimit[];
}

/** oslat's command line (pure). The histogram has one 1 µs bucket per µs up to the SLA's largest limit. */
export function planOslat(options: OslatOptions, cpuSets: { cpus: number[]; online: number[] }): OslatPlan {
  const sla = [...(options.sla ?? parseSla(DEFAULT_OSLAT_SLA))];
  const slaMax = Math.max(0, ...sla.map((l) => Math.ceil(l.limitUs)));
  if (slaMax > 1023) {
    throw new UsageError(
      `--sla: ${slaMax} µs is beyond oslat's histogram (at most 1024 buckets of 1 µs)`,
      "give limits below 1024 µs",
    );
  }
  const buckets = Math.min(1024, Math.max(32, slaMax + 2));
  const housekeeping = cpuSets.online.filter((c) => !cpuSets.cpus.includes(c));
  if (housekeeping.length === 0) {
    throw new UsageError(
      `oslat on CPU ${formatCpuList(cpuSets.cpus)} leaves no CPU for its main thread`,
      "leave one CPU outside --cpus",
    );
  }
  const ms = options.durationMs ?? 60_000;
  const seconds = Math.max(1, Math.round(ms / 1000));
  const args = ["-c", formatCpuList(cpuSets.cpus), "-C", String(housekeeping[0]), "-D", String(seconds)];
  args.push("-b", String(buckets));
  if (options.priority !== undefined) args.push("-f", String(options.priority));
  // oslat pre-heats for a second before it measures.
  return { cpus: cpuSets.cpus, housekeeping, args, buckets, expectedMs: seconds * 1000 + 1000, sla };
}

/** Guest job lines: oslat on the RT vCPU, optional guest load on vCPU 0; files oslat.* in /out. */
export function oslatGuestScript(plan: OslatPlan, guestLoadArgs: readonly string[] | null): string {
  const body = [
    `oslat ${plan.args.map(shq).join(" ")} > /out/oslat.stdout 2> /out/oslat.stderr`,
    "echo $? > /out/oslat.rc",
  ];
  return `${["oslat --version > /out/oslat.version 2>&1", ...withGuestLoad(body, guestLoadArgs)].join("\n")}\n`;
}

/** One oslat run (host or guest) → the run record. */
export function assembleOslatRecord(input: {
  options: OslatOptions;
  plan: OslatPlan;
  load: string;
  startedAt: string;
  environment: RunEnvironment;
  raw: Record<string, string>;
  output: { command: string; exitCode: number; stdout: string; stderr: string };
  extraParams?: Record<string, unknown>;
}): RunRecord {
  const { plan, output, raw, options } = input;
  raw["oslat.stdout"] = output.stdout;
  if (output.stderr.trim()) raw["oslat.stderr"] = output.stderr;
  if (output.exitCode !== 0)
    throw explainFailure(output.exitCode, output.stderr, output.stdout, output.command);
  const parsed = parseOslat("oslat output", output.stdout);
  const version = parsed.toolVersion;
  if (version)
    input.environment.toolVersions[input.environment.where === "guest" ? "oslat (guest)" : "oslat"] = version;
  const metrics: Record<string, number | string | null> = {
    samples: parsed.cpus.reduce((a, c) => a + c.samples, 0),
    worstMaxUs: Math.max(...parsed.cpus.map((c) => c.maxUs)),
    ...parsed.extra,
  };
  return {
    id: null,
    type: "oslat",
    label: options.label ?? input.load,
    startedAt: input.startedAt,
    endedAt: new Date().toISOString(),
    params: {
      where: input.environment.where,
      cpus: formatCpuList(plan.cpus),
      housekeeping: formatCpuList(plan.housekeeping),
      durationMs: plan.expectedMs - 1000,
      load: input.load,
      sla: formatSla(plan.sla),
      buckets: plan.buckets,
      priority: options.priority ?? null,
      command: ["oslat", ...plan.args].join(" "),
      ...input.extraParams,
    },
    environment: input.environment,
    cpus: parsed.cpus,
    metrics,
    raw,
    verdict: evaluateSla(plan.sla, parsed.cpus),
  };
}

export async function runOslatTest(options: OslatOptions = {}, exec: Exec = realExec): Promise<RunRecord> {
  return options.where === "guest" ? runGuestOslat(options, exec) : runHostOslat(options, exec);
}

async function runHostOslat(options: OslatOptions, exec: Exec): Promise<RunRecord> {
  const { fs, extraParams, loadDir } = hostPrelude(options, exec, "oslat");
  const plan = planOslat(options, chooseCpus(fs, options.cpus));
  const load = options.load ?? "idle";
  const toolVersions: Record<string, string> = {};
  if (load !== "idle") {
    const v = await probeStressNg(exec);
    if (v) toolVersions["stress-ng"] = v;
  }
  const environment = readEnvironment(fs, toolVersions);
  const startedAt = new Date().toISOString();
  const raw: Record<string, string> = {};
  const result = await withLoad(
    { kind: load, cpus: plan.housekeeping, durationMs: plan.expectedMs, ...loadDir },
    exec,
    async (running) => {
      const on = options.node !== undefined ? ` on node ${options.node}` : "";
      const title = `oslat${on} on CPU ${formatCpuList(plan.cpus)}${load === "idle" ? "" : ` under ${load} load`}`;
      const r = await withProgress(
        title,
        plan.expectedMs,
        () => runToolToEnd(exec, options, "oslat", plan.args, plan.expectedMs + 60_000),
        options.progress,
      );
      if (running) raw["stress-ng.output"] = running.output();
      return r;
    },
  );
  return assembleOslatRecord({
    options,
    plan,
    load,
    startedAt,
    environment,
    raw,
    output: {
      command: result.command,
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
    },
    extraParams,
  });
}

async function runGuestOslat(options: OslatOptions, exec: Exec): Promise<RunRecord> {
  const plan = planOslat(
    { ...options, cpus: [GUEST_RT_VCPU] },
    { cpus: [GUEST_RT_VCPU], online: [GUEST_HK_VCPU, GUEST_RT_VCPU] },
  );
  const { outcome, load } = await runInstrumentInGuest(
    options,
    { expectedMs: plan.expectedMs, script: (args) => oslatGuestScript(plan, args) },
    exec,
  );
  return oslatRecordFromGuest(options, plan, outcome, load);
}

/** The oslat record from a guest job's outputs (also used when several instruments share one boot). */
export function oslatRecordFromGuest(
  options: OslatOptions,
  plan: OslatPlan,
  outcome: RtGuestOutcome,
  load: string,
): RunRecord {
  const out = outcome.result.outputs;
  const rc = Number((out["oslat.rc"] ?? "").trim());
  const { environment, raw } = guestRecordBase(outcome, {
    key: "oslat (guest)",
    value: parseRtTestsVersion(out["oslat.version"] ?? "", "oslat"),
  });
  return assembleOslatRecord({
    options: { ...options, label: options.label ?? load },
    plan,
    load,
    startedAt: outcome.startedAt,
    environment,
    raw,
    output: {
      command: `oslat ${plan.args.join(" ")} (in the guest)`,
      exitCode: out["oslat.rc"] === undefined ? -1 : Number.isFinite(rc) ? rc : -1,
      stdout: out["oslat.stdout"] ?? "",
      stderr: out["oslat.stderr"] ?? "",
    },
    extraParams: outcome.params,
  });
}
