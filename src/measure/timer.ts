/**
 * The timer test: real cyclictest on the RT CPUs, one measuring thread per CPU, as the seeds' Yardstick
 * scenario ran it (`cyclictest -a 1 -i 1000 -p 99 -t 1 -h … -m -n -q`), duration-based, with the histogram on
 * stdout and --json for the per-thread figures.
 *
 * The figures stored (min/avg/max, samples, CPU) are cyclictest's own, read from its JSON (or its histogram
 * text on builds without --json) — never recomputed. Only the percentiles are computed, from its histogram.
 *
 * Keeping kvm4nfv off the measured CPUs: cyclictest 2.x pins its main thread to the -a set too, so
 * --mainaffinity puts it on the housekeeping CPUs; kvm4nfv itself (and the cyclictest it forks) is moved
 * there with `taskset -a -p -c` before the run and put back afterwards.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Kvm4nfvError, UsageError } from "../errors.js";
import { type Exec, realExec } from "../exec.js";
import { type HostFs, RootFs } from "../host/fs.js";
import { formatCpuList, subtract } from "../host/parse/cpulist.js";
import { makeTempDir } from "../tempdir.js";
import { readRtFacts, resolveRtCpus } from "../tuning/rt-cpus.js";
import { type CyclictestFeatures, probeCyclictest, probeStressNg, readEnvironment } from "./environment.js";
import { runCyclictestLive } from "./live-cyclictest.js";
import { type LoadKind, withLoad } from "./load.js";
import { parseCyclictestJson } from "./parse/cyclictest-json.js";
import { parseHistogramText } from "./parse/histogram.js";
import { type ProgressOptions, withProgress } from "./progress.js";
import { DEFAULT_SLA, evaluateSla, formatSla, parseSla } from "./sla.js";
import type { CpuResult, RunRecord, SlaLimit } from "./types.js";

export interface TimerTestOptions {
  where?: "host" | "guest";
  /** CPUs to measure; default: the isolated CPUs, else the last online CPU. */
  cpus?: readonly number[];
  /** Run length (default 60 s) — or loops, which wins when given. */
  durationMs?: number;
  loops?: number;
  intervalUs?: number;
  priority?: number;
  load?: LoadKind;
  /** Guest runs only: the load inside the guest (the second half of HOST_GUEST). */
  guestLoad?: LoadKind;
  /** Guest runs only: the accelerator (auto probes KVM and falls back to TCG). */
  accel?: "auto" | "kvm" | "tcg";
  sla?: readonly SlaLimit[];
  /** -b: stop and mark the trace when a latency exceeds this. */
  breaktraceUs?: number;
  /** -h: histogram width; default max(1000, the SLA's largest limit). */
  histogramUs?: number;
  label?: string;
  /** Machine view for CPU sets and the environment (default: the live "/"). */
  fs?: HostFs;
  /** Move kvm4nfv itself to the housekeeping CPUs during the run (default true). */
  pinSelf?: boolean;
  progress?: ProgressOptions;
}

export interface TimerPlan {
  cpus: number[];
  housekeeping: number[];
  args: string[];
  histogramUs: number;
  expectedMs: number;
  sla: SlaLimit[];
}

/** Measured CPUs: --cpus, else the kernel's isolated set (then the cmdline's), else the last online CPU. */
export function chooseCpus(fs: HostFs, requested?: readonly number[]): { cpus: number[]; online: number[] } {
  const facts = readRtFacts(fs);
  const { rtCpus } = resolveRtCpus(facts, requested, { prefer: "running", fallback: "last-online" });
  return { cpus: rtCpus, online: facts.online };
}

/** The cyclictest command line for a run (pure, for tests and the run record). */
export function planTimerTest(
  options: TimerTestOptions,
  features: CyclictestFeatures,
  cpuSets: { cpus: number[]; online: number[] },
  jsonPath: string,
): TimerPlan {
  const sla = [...(options.sla ?? parseSla(DEFAULT_SLA))];
  const slaMax = Math.max(0, ...sla.map((l) => Math.ceil(l.limitUs)));
  const histogramUs = options.histogramUs ?? Math.max(1000, slaMax);
  if (histogramUs < slaMax) {
    throw new UsageError(
      `--histogram ${histogramUs}us is narrower than the SLA's largest limit (${slaMax} µs)`,
      "the histogram must reach the limits it is judged against; widen --histogram or lower --sla",
    );
  }
  const intervalUs = options.intervalUs ?? 1000;
  const priority = options.priority ?? 99;
  const { cpus } = cpuSets;
  const housekeeping = subtract(cpuSets.online, cpus);
  const args = ["-m"];
  if (features.nanosleepFlag) args.push("-n");
  args.push("-p", String(priority), "-i", String(intervalUs), "-t", String(cpus.length));
  args.push("-a", formatCpuList(cpus), "-h", String(histogramUs));
  // On the host the live status lines feed the progress line's running max; in the guest nobody watches.
  if (options.where === "guest") args.push("-q");
  if (features.mainAffinity && housekeeping.length)
    args.push(`--mainaffinity=${formatCpuList(housekeeping)}`);
  let expectedMs: number;
  if (options.loops !== undefined) {
    args.push("-l", String(options.loops));
    expectedMs = Math.ceil((options.loops * intervalUs) / 1000);
  } else {
    const ms = options.durationMs ?? 60_000;
    // -D takes whole seconds; a sub-second or fractional run becomes a loop count instead.
    if (ms % 1000 === 0) args.push("-D", String(ms / 1000));
    else args.push("-l", String(Math.max(1, Math.round((ms * 1000) / intervalUs))));
    expectedMs = ms;
  }
  if (options.breaktraceUs !== undefined) {
    args.push("-b", String(options.breaktraceUs));
    if (features.tracemark) args.push("--tracemark");
  }
  if (features.json) args.push(`--json=${jsonPath}`);
  return { cpus, housekeeping, args, histogramUs, expectedMs, sla };
}

const PERMISSION_PATTERNS = [
  /Unable to change scheduling policy/i,
  /RLIMIT_RTPRIO/,
  /mlockall.*(?:failed|not permitted)/i,
  /Operation not permitted/i,
  /Permission denied/i,
];

export function explainFailure(
  exitCode: number,
  stderr: string,
  stdout: string,
  command: string,
): Kvm4nfvError {
  const text = `${stderr}\n${stdout}`;
  if (PERMISSION_PATTERNS.some((p) => p.test(text))) {
    return new Kvm4nfvError(
      "PERMISSION",
      "cyclictest could not get real-time scheduling (SCHED_FIFO) or lock its memory",
      { hint: "run kvm4nfv as root, or give the user an RLIMIT_RTPRIO and memlock limit (limits.conf)" },
    );
  }
  const last = text.trim().split("\n").pop()?.trim() ?? "";
  return new Kvm4nfvError("TOOL_FAILED", `${command} exited with ${exitCode}${last ? `: ${last}` : ""}`);
}

/** Current affinity of a process as taskset reports it ("pid 42's current affinity list: 0,1"). */
async function getAffinity(exec: Exec, pid: number): Promise<string | null> {
  const r = await exec.run("taskset", ["-p", "-c", String(pid)], { allowFailure: true, timeoutMs: 5000 });
  const m = /affinity list:\s*(\S+)/.exec(r.stdout);
  return r.exitCode === 0 && m ? m[1]! : null;
}

async function setAffinity(exec: Exec, pid: number, list: string): Promise<void> {
  // -a: every thread of kvm4nfv (Node's worker threads too), not only the main one.
  await exec.run("taskset", ["-a", "-p", "-c", list, String(pid)], { timeoutMs: 5000 });
}

/** cyclictest's features, and the tool versions a run records (stress-ng's too when it loads the machine). */
export async function probeTimerTools(
  exec: Exec,
  load: LoadKind,
): Promise<{ features: CyclictestFeatures; toolVersions: Record<string, string> }> {
  const features = await probeCyclictest(exec);
  const toolVersions: Record<string, string> = {};
  if (features.version) toolVersions.cyclictest = features.version;
  if (load !== "idle") {
    const v = await probeStressNg(exec);
    if (v) toolVersions["stress-ng"] = v;
  }
  return { features, toolVersions };
}

/**
 * The measurement itself, wherever exec runs it (this host or a node): the planned cyclictest under the load on
 * the housekeeping CPUs, its live status lines feeding the progress line's running max, stress-ng's output kept,
 * then its JSON (readJson) and the run record. `node` names the node (progress title, params.node); `tempDir` is
 * stress-ng's work directory there.
 */
export async function measureTimer(
  exec: Exec,
  run: {
    options: TimerTestOptions;
    plan: TimerPlan;
    load: LoadKind;
    environment: RunRecord["environment"];
    readJson: () => Promise<string | undefined>;
    node?: string;
    tempDir?: string;
  },
): Promise<RunRecord> {
  const { plan, load, node } = run;
  const startedAt = new Date().toISOString();
  const raw: Record<string, string> = {};
  const spec = { kind: load, cpus: plan.housekeeping, durationMs: plan.expectedMs };
  const loadSpec = run.tempDir === undefined ? spec : { ...spec, tempDir: run.tempDir };
  const result = await withLoad(loadSpec, exec, async (running) => {
    const on = node === undefined ? "" : `node ${node}, `;
    const title = `cyclictest on ${on}CPU ${formatCpuList(plan.cpus)}${load === "idle" ? "" : ` under ${load} load`}`;
    let runningMax = 0;
    const r = await withProgress(
      title,
      plan.expectedMs,
      () =>
        runCyclictestLive(exec, plan.args, plan.expectedMs + 60_000, (us) => {
          if (us > runningMax) runningMax = us;
        }),
      { ...run.options.progress, status: () => (runningMax ? `max so far ${runningMax} µs` : "") },
    );
    if (running) raw["stress-ng.output"] = running.output();
    return r;
  });
  return assembleTimerRecord({
    options: run.options,
    plan,
    where: "host",
    load,
    startedAt,
    environment: run.environment,
    raw,
    output: { ...result, json: await run.readJson() },
    ...(node === undefined ? {} : { extraParams: { node } }),
  });
}

export async function runTimerTest(
  options: TimerTestOptions = {},
  exec: Exec = realExec,
): Promise<RunRecord> {
  if (options.where === "guest") {
    throw new Kvm4nfvError(
      "BAD_INPUT",
      "runTimerTest measures the host; the guest is guest-timer.ts's runGuestTimerTest",
    );
  }
  const fs = options.fs ?? new RootFs("/");
  const load = options.load ?? "idle";
  const { features, toolVersions } = await probeTimerTools(exec, load);
  const dir = makeTempDir("timer");
  const jsonPath = join(dir, "cyclictest.json");
  const plan = planTimerTest(options, features, chooseCpus(fs, options.cpus), jsonPath);
  const environment = readEnvironment(fs, toolVersions);

  const wantPin = (options.pinSelf ?? true) && fs.live && plan.housekeeping.length > 0;
  const saved = wantPin ? await getAffinity(exec, process.pid) : null;
  // Only move ourselves when we can put things back as they were.
  const pin = saved !== null;
  try {
    if (pin) await setAffinity(exec, process.pid, formatCpuList(plan.housekeeping));
    const readJson = async () => {
      try {
        return features.json ? readFileSync(jsonPath, "utf8") : undefined;
      } catch {
        return undefined;
      }
    };
    return await measureTimer(exec, { options, plan, load, environment, readJson });
  } finally {
    if (pin && saved !== null) await setAffinity(exec, process.pid, saved).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What one cyclictest run left behind, wherever it ran. */
export interface CyclictestOutput {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Content of its --json file, when it wrote one. */
  json: string | undefined;
}

/**
 * Turn one cyclictest run (host or guest) into the run record: cyclictest's own min/avg/max from its JSON
 * (else its histogram text), percentiles from the histogram, the verdict against the SLA.
 */
export function assembleTimerRecord(input: {
  options: TimerTestOptions;
  plan: TimerPlan;
  where: "host" | "guest";
  /** The load as stored: "cpu" on the host, "memorystress_idle" for a guest run. */
  load: string;
  startedAt: string;
  environment: RunRecord["environment"];
  raw: Record<string, string>;
  output: CyclictestOutput;
  extraParams?: Record<string, unknown>;
}): RunRecord {
  const { options, plan, output, raw } = input;
  raw["cyclictest.stdout"] = output.stdout;
  if (output.stderr.trim()) raw["cyclictest.stderr"] = output.stderr;
  if (output.exitCode !== 0)
    throw explainFailure(output.exitCode, output.stderr, output.stdout, output.command);
  if (output.json !== undefined) raw["cyclictest.json"] = output.json;
  const text = parseHistogramText("cyclictest stdout", output.stdout, {
    histogramUs: plan.histogramUs,
    cpus: plan.cpus,
  });
  const cpus: CpuResult[] =
    output.json !== undefined ? parseCyclictestJson("cyclictest --json", output.json).cpus : text.cpus;
  const metrics: Record<string, number | string | null> = {
    samples: cpus.reduce((a, c) => a + c.samples, 0),
    worstMaxUs: Math.max(...cpus.map((c) => c.maxUs)),
  };
  for (const [k, v] of Object.entries(text.extra)) metrics[k] = v;
  const load = input.load;
  return {
    id: null,
    type: "timer",
    label: options.label ?? (load === "idle" ? "idle" : load.includes("_") ? load : `${load}stress`),
    startedAt: input.startedAt,
    endedAt: new Date().toISOString(),
    params: {
      where: input.where,
      cpus: formatCpuList(plan.cpus),
      housekeeping: formatCpuList(plan.housekeeping),
      durationMs: options.loops === undefined ? plan.expectedMs : null,
      loops: options.loops ?? null,
      intervalUs: options.intervalUs ?? 1000,
      priority: options.priority ?? 99,
      load,
      sla: formatSla(plan.sla),
      histogramUs: plan.histogramUs,
      breaktraceUs: options.breaktraceUs ?? null,
      command: ["cyclictest", ...plan.args.map((a) => (a.startsWith("--json=") ? "--json=FILE" : a))].join(
        " ",
      ),
      ...input.extraParams,
    },
    environment: input.environment,
    cpus,
    metrics,
    raw,
    verdict: evaluateSla(plan.sla, cpus),
  };
}
