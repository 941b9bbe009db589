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
import { Kvm4nfvError, toolMissing, UsageError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import { type HostFs, RootFs } from "../../host/fs.js";
import { formatCpuList } from "../../host/parse/cpulist.js";
import { readEnvironment } from "../environment.js";
import { loadComboName } from "../guest-timer.js";
import { type LoadKind, stressArgs, withLoad } from "../load.js";
import { evaluateSla, formatSla, parseSla } from "../sla.js";
import { chooseCpus } from "../timer.js";
import type { CpuResult, RunEnvironment, RunRecord, SlaLimit } from "../types.js";
import { explainSpike } from "../why/why.js";
import { columnToCpu, missingTracer, parseOsnoiseTop, parseRtlaHist } from "./parse.js";
import { GUEST_HK_VCPU, GUEST_RT_VCPU, runInRtGuest } from "./rt-guest.js";
import { guestTracerCheck, requireTracer, tracerMissing } from "./tracers.js";

export type RtlaTool = "timerlat" | "osnoise";
export const DEFAULT_RTLA_SLA = "max=1000";
/** Traces are kept with the run up to this size (the tail: the stop is at the end). */
export const TRACE_KEEP_BYTES = 1 << 20;

export interface RtlaOptions {
  tool: RtlaTool;
  where?: "host" | "guest";
  cpus?: readonly number[];
  durationMs?: number;
  load?: LoadKind;
  guestLoad?: LoadKind;
  accel?: "auto" | "kvm" | "tcg";
  sla?: readonly SlaLimit[];
  stopAtUs?: number;
  label?: string;
  fs?: HostFs;
  onNote?: (note: string) => void;
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

function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Guest job lines: each rtla command → /out/<name>.stdout|stderr|rc, or /out/<tool>.missing. */
export function rtlaGuestScript(plan: RtlaPlan, guestLoadArgs: readonly string[] | null): string {
  const body: string[] = ["rtla --help > /out/rtla.help 2>&1"];
  if (guestLoadArgs) {
    body.push(
      `stress-ng ${guestLoadArgs.map(shq).join(" ")} > /out/stress-ng.output 2>&1 &`,
      "LOAD=$!",
      "sleep 1",
    );
  }
  for (const c of plan.commands) {
    body.push(
      `rtla ${c.args.map(shq).join(" ")} > /out/${c.name}.stdout 2> /out/${c.name}.stderr; echo $? > /out/${c.name}.rc`,
    );
  }
  if (guestLoadArgs) body.push('kill "$LOAD" 2>/dev/null; wait "$LOAD" 2>/dev/null');
  return guestTracerCheck(plan.tool, plan.tool, body.join("\n"));
}

/** Keep a trace bounded: its tail (where the stop is) when it is larger than `limit` bytes. */
export function boundTrace(text: string, limit = TRACE_KEEP_BYTES): string {
  if (Buffer.byteLength(text) <= limit) return text;
  const tail = text.slice(-limit);
  return `# kvm4nfv: trace cut to its last ${limit} bytes\n${tail.slice(tail.indexOf("\n") + 1)}`;
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
    if (why) raw["why.json"] = JSON.stringify(why);
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

async function runHostRtla(options: RtlaOptions, exec: Exec): Promise<RunRecord> {
  const fs = options.fs ?? new RootFs("/");
  if (!exec.which("rtla")) throw toolMissing("rtla", "install rtla: apt-get install rtla");
  requireTracer(fs, options.tool);
  const { cpus, online } = chooseCpus(fs, options.cpus);
  const plan = planRtla(options, cpus);
  const load = options.load ?? "idle";
  const environment = readEnvironment(fs, {});
  const startedAt = new Date().toISOString();
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-rtla-"));
  const raw: Record<string, string> = {};
  try {
    const housekeeping = online.filter((c) => !cpus.includes(c));
    const outputs: RtlaOutputs = { runs: {}, version: null };
    const help = await exec.run("rtla", ["--help"], { allowFailure: true, timeoutMs: 10_000 });
    outputs.version = /rtla version (\S+)/.exec(`${help.stdout}${help.stderr}`)?.[1] ?? null;
    await withLoad({ kind: load, cpus: housekeeping, durationMs: plan.expectedMs }, exec, async (running) => {
      for (const c of plan.commands) {
        const r = await exec.run("rtla", c.args, {
          cwd: dir,
          allowFailure: true,
          timeoutMs: plan.expectedMs + 60_000,
        });
        outputs.runs[c.name] = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
        if (missingTracer(`${r.stdout}${r.stderr}`)) break;
      }
      if (running) raw["stress-ng.output"] = running.output();
    });
    const traceFile = readdirSync(dir).find((f) => f.endsWith("_trace.txt"));
    if (traceFile) outputs.trace = readFileSync(join(dir, traceFile), "utf8");
    return assembleRtlaRecord({ options, plan, load, startedAt, environment, raw, outputs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runGuestRtla(options: RtlaOptions, exec: Exec): Promise<RunRecord> {
  const plan = planRtla(options, [GUEST_RT_VCPU]);
  const hostLoad = options.load ?? "idle";
  const guestLoad = options.guestLoad ?? "idle";
  const guestLoadArgs =
    guestLoad === "idle"
      ? null
      : stressArgs(
          { kind: guestLoad, cpus: [GUEST_HK_VCPU], durationMs: plan.expectedMs, vmBytes: "64M" },
          "/tmp",
        );
  const outcome = await runInRtGuest(
    {
      script: rtlaGuestScript(plan, guestLoadArgs),
      expectedMs: plan.expectedMs,
      hostLoad,
      ...(options.cpus ? { cpus: options.cpus } : {}),
      ...(options.accel ? { accel: options.accel } : {}),
      ...(options.onNote ? { onNote: options.onNote } : {}),
      ...(options.fs ? { fs: options.fs } : {}),
    },
    exec,
  );
  return rtlaRecordFromGuest(options, plan, outcome, loadComboName(hostLoad, guestLoad));
}

/** The rtla record from a guest job's outputs (also when several instruments shared one boot). */
export function rtlaRecordFromGuest(
  options: RtlaOptions,
  plan: RtlaPlan,
  outcome: Awaited<ReturnType<typeof runInRtGuest>>,
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
  const environment = { ...outcome.environment, toolVersions: { ...outcome.environment.toolVersions } };
  const raw = { ...outcome.raw };
  if (out["stress-ng.output"]) raw["guest-stress-ng.output"] = out["stress-ng.output"];
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
