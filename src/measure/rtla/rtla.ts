/**
 * `test timerlat` and `test osnoise` with Debian's rtla 6.1.
 *  - timerlat: `rtla timerlat hist` per measured CPU: the timer IRQ latency and the timerlat thread latency
 *    (what an RT thread sees), each with rtla's own count/min/avg/max and histogram. Stored as two results
 *    per CPU: thread 0 = thread latency (judged by the SLA first), thread 1 = IRQ latency.
 *  - osnoise: `rtla osnoise hist` (noise per sample, histogram) then `rtla osnoise top -q` (the interference
 *    counts by kind: HW, NMI, IRQ, softirq, thread), each for --duration.
 * `--stop-at US` passes rtla's -a US: stop when the threshold is crossed and save the trace (timerlat_trace.txt
 * / osnoise_trace.txt), kept with the run. rtla 6.1 has no auto-analysis; kvm4nfv's why/ reads the trace.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm4nfvError, UsageError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import { formatCpuList } from "../../host/parse/cpulist.js";
import { readEnvironment } from "../environment.js";
import { withLoad } from "../load.js";
import { evaluateSla, formatSla, parseSla } from "../sla.js";
import { chooseCpus } from "../timer.js";
import type { CpuResult, RunEnvironment, RunRecord, SlaLimit } from "../types.js";
import { explainSpike, type SpikeExplanation } from "../why/why.js";
import {
  guestRecordBase,
  hostPrelude,
  type InstrumentOptions,
  runInstrumentInGuest,
  runToolToEnd,
  shq,
  withGuestLoad,
} from "./instrument.js";
import { columnToCpu, missingTracer, parseOsnoiseTop, parseRtlaHist } from "./parse.js";
import { GUEST_RT_VCPU, type RtGuestOutcome } from "./rt-guest.js";
import { guestTracerCheck, requireTracer, tracerMissing } from "./tracers.js";

export type RtlaTool = "timerlat" | "osnoise";
export const DEFAULT_RTLA_SLA = "max=1000";
/** Traces are kept with the run up to this size (the tail: the stop is at the end). */
export const TRACE_KEEP_BYTES = 1 << 20;

export interface RtlaOptions extends InstrumentOptions {
  tool: RtlaTool;
  stopAtUs?: number;
}

export interface RtlaPlan {
  tool: RtlaTool;
  cpus: number[];
  /** rtla argument lists run one after the other (osnoise: hist, then top). */
  commands: Array<{ name: string; args: string[] }>;
  entries: number;
  expectedMs: number;
  sla: SlaLimit[];
}

export function planRtla(options: RtlaOptions, cpus: number[]): RtlaPlan {
  const sla = [...(options.sla ?? parseSla(DEFAULT_RTLA_SLA))];
  const slaMax = Math.max(0, ...sla.map((l) => Math.ceil(l.limitUs)));
  const entries = Math.max(256, slaMax + 1);
  const seconds = Math.max(1, Math.round((options.durationMs ?? 60_000) / 1000));
  const base = ["-c", formatCpuList(cpus), "-d", String(seconds)];
  const stop = options.stopAtUs !== undefined ? ["-a", String(Math.round(options.stopAtUs))] : [];
  const commands =
    options.tool === "timerlat"
      ? [{ name: "timerlat", args: ["timerlat", "hist", ...base, "-E", String(entries), ...stop] }]
      : [
          { name: "osnoise-hist", args: ["osnoise", "hist", ...base, "-E", String(entries)] },
          { name: "osnoise-top", args: ["osnoise", "top", ...base, "-q", ...stop] },
        ];
  return { tool: options.tool, cpus, commands, entries, expectedMs: seconds * 1000 * commands.length, sla };
}

/** Guest job lines: each rtla command → /out/<name>.stdout|stderr|rc, or /out/<tool>.missing. */
export function rtlaGuestScript(plan: RtlaPlan, guestLoadArgs: readonly string[] | null): string {
  const body = plan.commands.map(
    (c) =>
      `rtla ${c.args.map(shq).join(" ")} > /out/${c.name}.stdout 2> /out/${c.name}.stderr; echo $? > /out/${c.name}.rc`,
  );
  const lines = ["rtla --help > /out/rtla.help 2>&1", ...withGuestLoad(body, guestLoadArgs)];
  return guestTracerCheck(plan.tool, plan.tool, lines.join("\n"));
}

/** Keep a trace bounded: its tail (where the stop is) when it is larger than `limit` bytes. */
export function boundTrace(text: string, limit = TRACE_KEEP_BYTES): string {
  if (Buffer.byteLength(text) <= limit) return text;
  const tail = text.slice(-limit);
  return `# kvm4nfv: trace cut to its last ${limit} bytes\n${tail.slice(tail.indexOf("\n") + 1)}`;
}

/**
 * rtla stopped at an activation over the threshold, but the trace it saved may not hold it: seen under load in
 * the RT guest (TCG), rtla 6.1 saved a trace ending 1.1 s before its 2 s stopping activation, whose worst
 * activation was 5 ms, and once a trace with no events at all. Then the explanation is of another, smaller
 * spike (or of nothing), and must say so rather than pass for the stop's cause.
 */
function noEvents(source: string): SpikeExplanation {
  return {
    source,
    cpu: null,
    latencyUs: null,
    window: null,
    causes: [],
    events: [],
    summary: "unexplained: the trace holds no events",
  };
}

export function stopMissingFromTrace(
  why: SpikeExplanation,
  stopAtUs: number,
  statMaxUs: number,
): SpikeExplanation {
  if (why.latencyUs !== null && why.latencyUs >= stopAtUs) return why;
  const worst = why.latencyUs !== null ? `${why.latencyUs} µs` : "none";
  if (why.events.length === 0 && why.latencyUs === null)
    return {
      ...why,
      stopInTrace: false,
      summary: `rtla stopped at an activation over ${stopAtUs} µs (its histogram's max: ${statMaxUs} µs) but the trace it saved holds no events: unexplained`,
    };
  return {
    ...why,
    stopInTrace: false,
    summary: `rtla stopped at an activation over ${stopAtUs} µs (its histogram's max: ${statMaxUs} µs) that the trace it saved does not hold; the worst activation in that trace (${worst}) is explained instead — ${why.summary}`,
  };
}

export interface RtlaOutputs {
  /** By command name: stdout/stderr/exit code. */
  runs: Record<string, { stdout: string; stderr: string; exitCode: number }>;
  /** The saved trace (-a), when rtla wrote one. */
  trace?: string;
  version: string | null;
}

export function assembleRtlaRecord(input: {
  options: RtlaOptions;
  plan: RtlaPlan;
  load: string;
  startedAt: string;
  environment: RunEnvironment;
  raw: Record<string, string>;
  outputs: RtlaOutputs;
  extraParams?: Record<string, unknown>;
}): RunRecord {
  const { plan, outputs, raw } = input;
  for (const c of plan.commands) {
    const r = outputs.runs[c.name];
    if (!r) throw new Kvm4nfvError("TOOL_FAILED", `rtla ${c.args.join(" ")} left no output`);
    raw[`${c.name}.stdout`] = r.stdout;
    if (r.stderr.trim()) raw[`${c.name}.stderr`] = r.stderr;
    const missing = missingTracer(`${r.stdout}\n${r.stderr}`);
    if (missing) throw tracerMissing(missing, null);
    if (r.exitCode !== 0) {
      const last = `${r.stderr}\n${r.stdout}`.trim().split("\n").pop() ?? "";
      throw new Kvm4nfvError("TOOL_FAILED", `rtla ${c.args.join(" ")} exited with ${r.exitCode}: ${last}`);
    }
  }
  if (outputs.version)
    input.environment.toolVersions[input.environment.where === "guest" ? "rtla (guest)" : "rtla"] =
      outputs.version;
  const metrics: Record<string, number | string | null> = {};
  let cpus: CpuResult[];
  let stopped: boolean;
  if (plan.tool === "timerlat") {
    const hist = parseRtlaHist("rtla timerlat hist output", outputs.runs.timerlat!.stdout);
    stopped = hist.stopped;
    const thread = hist.columns
      .filter((c) => c.context === "Thr")
      .map((c) => columnToCpu(c, plan.entries, 0));
    const irq = hist.columns.filter((c) => c.context === "IRQ").map((c) => columnToCpu(c, plan.entries, 1));
    cpus = [...thread, ...irq];
    for (const c of irq) {
      metrics[`irq.cpu${c.cpu}.maxUs`] = c.maxUs;
      metrics[`irq.cpu${c.cpu}.avgUs`] = c.avgUs;
    }
    for (const c of thread) metrics[`thread.cpu${c.cpu}.maxUs`] = c.maxUs;
  } else {
    const hist = parseRtlaHist("rtla osnoise hist output", outputs.runs["osnoise-hist"]!.stdout);
    const top = parseOsnoiseTop("rtla osnoise top output", outputs.runs["osnoise-top"]!.stdout);
    stopped = /hit stop tracing/.test(outputs.runs["osnoise-top"]!.stdout);
    cpus = hist.columns.map((c) => columnToCpu(c, plan.entries, 0));
    for (const row of top) {
      const k = `cpu${row.cpu}`;
      metrics[`${k}.noiseUs`] = row.noiseUs;
      metrics[`${k}.cpuAvailablePct`] = row.cpuAvailablePct;
      metrics[`${k}.maxSingleUs`] = row.maxSingleUs;
      for (const kind of ["hw", "nmi", "irq", "softirq", "thread"] as const)
        metrics[`${k}.${kind}`] = row[kind];
    }
    raw["osnoise-top.json"] = JSON.stringify(top);
  }
  metrics.samples = cpus.filter((c) => c.thread === 0).reduce((a, c) => a + c.samples, 0);
  metrics.worstMaxUs = Math.max(0, ...cpus.map((c) => c.maxUs));
  if (input.options.stopAtUs !== undefined) metrics.stoppedAtThreshold = stopped ? "yes" : "no";
  if (outputs.trace !== undefined) {
    raw[`${plan.tool}_trace.txt`] = boundTrace(outputs.trace);
    const why = explainSpike({ source: plan.tool, trace: outputs.trace, rtCpus: plan.cpus });
    const stopAt = input.options.stopAtUs;
    if (stopped && stopAt !== undefined) {
      const statMax = Math.max(0, ...cpus.map((c) => c.maxUs));
      raw["why.json"] = JSON.stringify(stopMissingFromTrace(why ?? noEvents(plan.tool), stopAt, statMax));
    } else if (why) raw["why.json"] = JSON.stringify(why);
  }
  return {
    id: null,
    type: plan.tool,
    label: input.options.label ?? input.load,
    startedAt: input.startedAt,
    endedAt: new Date().toISOString(),
    params: {
      where: input.environment.where,
      cpus: formatCpuList(plan.cpus),
      durationMs: plan.expectedMs / plan.commands.length,
      load: input.load,
      sla: formatSla(plan.sla),
      entries: plan.entries,
      stopAtUs: input.options.stopAtUs ?? null,
      command: plan.commands.map((c) => `rtla ${c.args.join(" ")}`).join("; "),
      ...(plan.tool === "timerlat" ? { threads: { 0: "thread latency", 1: "IRQ latency" } } : {}),
      ...input.extraParams,
    },
    environment: input.environment,
    cpus,
    metrics,
    raw,
    verdict: evaluateSla(plan.sla, cpus),
  };
}

export async function runRtlaTest(options: RtlaOptions, exec: Exec = realExec): Promise<RunRecord> {
  if (options.stopAtUs !== undefined && !(options.stopAtUs > 0))
    throw new UsageError("--stop-at must be > 0");
  return options.where === "guest" ? runGuestRtla(options, exec) : runHostRtla(options, exec);
}

/**
 * rtla writes its -a trace into its working directory: a private one here, the run directory on a node
 * (entered by a shell there: RemoteExec runs argv, not in a directory).
 */
async function runHostRtla(options: RtlaOptions, exec: Exec): Promise<RunRecord> {
  const { fs, extraParams, loadDir } = hostPrelude(
    options,
    exec,
    "rtla",
    "install rtla: apt-get install rtla",
  );
  requireTracer(fs, options.tool, options.node !== undefined ? `node ${options.node}: ` : "");
  const { cpus, online } = chooseCpus(fs, options.cpus);
  const plan = planRtla(options, cpus);
  const load = options.load ?? "idle";
  const environment = readEnvironment(fs, {});
  const startedAt = new Date().toISOString();
  const onNode = options.node !== undefined && options.nodeDir !== undefined;
  const dir = onNode ? `${options.nodeDir}/rtla` : mkdtempSync(join(tmpdir(), "kvm4nfv-rtla-"));
  const raw: Record<string, string> = {};
  try {
    if (onNode) await exec.run("mkdir", ["-p", dir]);
    const housekeeping = online.filter((c) => !cpus.includes(c));
    const outputs: RtlaOutputs = { runs: {}, version: null };
    const help = await exec.run("rtla", ["--help"], { allowFailure: true, timeoutMs: 10_000 });
    outputs.version = /rtla version (\S+)/.exec(`${help.stdout}${help.stderr}`)?.[1] ?? null;
    await withLoad(
      { kind: load, cpus: housekeeping, durationMs: plan.expectedMs, ...loadDir },
      exec,
      async (running) => {
        for (const c of plan.commands) {
          const r = onNode
            ? await runToolToEnd(
                exec,
                options,
                "sh",
                ["-c", 'cd "$0" && exec rtla "$@"', dir, ...c.args],
                plan.expectedMs + 60_000,
              )
            : await exec.run("rtla", c.args, {
                cwd: dir,
                allowFailure: true,
                timeoutMs: plan.expectedMs + 60_000,
              });
          outputs.runs[c.name] = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
          if (missingTracer(`${r.stdout}${r.stderr}`)) break;
        }
        if (running) raw["stress-ng.output"] = running.output();
      },
    );
    const traceName = `${plan.tool}_trace.txt`;
    if (onNode) {
      const t = await exec.run("cat", [`${dir}/${traceName}`], { allowFailure: true });
      if (t.exitCode === 0) outputs.trace = t.stdout;
    } else if (readdirSync(dir).includes(traceName)) {
      outputs.trace = readFileSync(join(dir, traceName), "utf8");
    }
    return assembleRtlaRecord({ options, plan, load, startedAt, environment, raw, outputs, extraParams });
  } finally {
    if (!onNode) rmSync(dir, { recursive: true, force: true });
  }
}

async function runGuestRtla(options: RtlaOptions, exec: Exec): Promise<RunRecord> {
  const plan = planRtla(options, [GUEST_RT_VCPU]);
  const { outcome, load } = await runInstrumentInGuest(
    options,
    { expectedMs: plan.expectedMs, script: (args) => rtlaGuestScript(plan, args) },
    exec,
  );
  return rtlaRecordFromGuest(options, plan, outcome, load);
}

/** The rtla record from a guest job's outputs (also when several instruments shared one boot). */
export function rtlaRecordFromGuest(
  options: RtlaOptions,
  plan: RtlaPlan,
  outcome: RtGuestOutcome,
  load: string,
): RunRecord {
  const out = outcome.result.outputs;
  const missing = out[`${plan.tool}.missing`];
  if (missing !== undefined) throw tracerMissing(plan.tool, missing.trim().split(/\s+/).filter(Boolean));
  const outputs: RtlaOutputs = {
    runs: {},
    version: /rtla version (\S+)/.exec(out["rtla.help"] ?? "")?.[1] ?? null,
  };
  for (const c of plan.commands) {
    if (out[`${c.name}.rc`] === undefined) continue;
    outputs.runs[c.name] = {
      stdout: out[`${c.name}.stdout`] ?? "",
      stderr: out[`${c.name}.stderr`] ?? "",
      exitCode: Number(out[`${c.name}.rc`]!.trim()),
    };
  }
  const trace = out[`${plan.tool}_trace.txt`];
  if (trace !== undefined) outputs.trace = trace;
  const { environment, raw } = guestRecordBase(outcome);
  return assembleRtlaRecord({
    options: { ...options, label: options.label ?? load },
    plan,
    load,
    startedAt: outcome.startedAt,
    environment,
    raw,
    outputs,
    extraParams: outcome.params,
  });
}
