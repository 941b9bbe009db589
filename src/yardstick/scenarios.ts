/**
 * The two scenario types KVM4NFV ran through Yardstick, mapped onto kvm4nfv's measurements:
 *
 * Cyclictest (yardstick/benchmark/scenarios/compute/cyclictest.py ran `cyclictest -a A -b B -i I -p P -l L
 * -t T -h H -m -n -q --notrace` in the guest) → kvm4nfv's timer test (runTimerTest): loops, interval,
 * priority, histogram width and breaktrace as given; affinity A is the CPU measured (in the guest: its RT
 * vCPU, which is 1). SLA max_min/avg/max_latency (µs) are judged on cyclictest's own figures.
 *
 * QemuMigrate (qemu_migrate.py + qemu_migrate_benchmark.bash: HMP migrate_set_speed 0, migrate_set_downtime
 * max_down_time, migrate -d tcp:incoming_ip:migrate_to_port between two QEMUs on one host) → kvm4nfv's
 * migration test between two QEMUs on this host. SLA max_totaltime / max_downtime / max_setuptime are in
 * seconds (max_down_time's unit, migrate_set_downtime's); Yardstick itself compared them with int() against
 * HMP's milliseconds, so 0.10 became 0 and every run "failed" — kvm4nfv compares in seconds as meant.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, Kvm4nfvError } from "../errors.js";
import { evaluateSla, formatSla } from "../measure/sla.js";
import type { TimerTestOptions } from "../measure/timer.js";
import type { RunRecord, SlaLimit } from "../measure/types.js";
import type { ApplyReport } from "../tuning/apply/apply.js";
import type { RunTaskFlags } from "./flags.js";
import type { TaskNode } from "./nodes.js";
import { cyclictestData } from "./output.js";
import { describeTarget, hostSetupOnTarget, type NodeTarget, timerOnTarget } from "./remote.js";
import { mapSetup, type SetupMapping } from "./setup-seqs.js";
import type { Scenario, Task } from "./task.js";

export interface OneRun {
  run: RunRecord;
  /** The record's data as Yardstick's scenario put it there. */
  data: Record<string, unknown>;
  /** Yardstick's SLA message ("" when met). */
  slaError: string;
  describe: string;
}

export interface PreparedScenario {
  scenario: Scenario;
  node: TaskNode | null;
  setup: SetupMapping;
  summary: string;
  /** The host_setup_seqs' tuning (a dry run unless --yes); returns lines to show. */
  setUp(): Promise<string[]>;
  runOnce(): Promise<OneRun>;
}

function opt(s: Scenario, key: string, dflt: number): number {
  const v = s.options[key];
  return typeof v === "number" ? v : dflt;
}

function remoteRefused(task: Task, s: Scenario, node: TaskNode, what: string): never {
  throw new InputError(
    "BAD_INPUT",
    `${task.file}:${s.host?.line ?? s.line}: scenarios.${s.index}.host: node "${node.name}" (${node.ip}) ${what}; nothing was run`,
  );
}

/** Yardstick's SLA check: int(value) > int(limit) → "min latency 5 > sla:max_min_latency(50); ". */
function yardstickLatencySla(s: Scenario, data: Record<string, string>): string {
  if (!s.sla) return "";
  let msg = "";
  for (const [t, v] of Object.entries(data)) {
    const limit = s.sla.limits[`max_${t}_latency`];
    if (limit === undefined) continue;
    const value = Number.parseInt(v, 10);
    if (Number.isFinite(value) && value > Math.trunc(limit))
      msg += `${t} latency ${value} > sla:max_${t}_latency(${Math.trunc(limit)}); `;
  }
  return msg;
}

async function tuneHost(
  setup: SetupMapping,
  target: NodeTarget | null,
  flags: RunTaskFlags,
  rtCpus: number[],
): Promise<string[]> {
  if (!setup.tuneCmdline && !setup.tuneRuntime) return [];
  const yes = Boolean(flags.yes);
  const [{ emit }, { runApply, formatApplyReport }] = await Promise.all([
    import("../tuning/emit/index.js"),
    import("../tuning/apply/apply.js"),
  ]);
  let report: ApplyReport;
  if (target && !target.node.local) {
    // host-config isolated the RT CPUs; here: the CPU the scenario measures, on the node, from its own facts.
    const r = await hostSetupOnTarget(target, flags, rtCpus);
    if ("note" in r) return [`host-setup: ${r.note}; measuring it as it is`];
    report = r.report;
  } else {
    const { makePlan } = await import("../tuning/plan-options.js");
    let plan: string;
    try {
      // host-config isolated the RT CPUs; here: the CPU the scenario measures (or the guest's RT vCPU's host CPU).
      plan = emit(makePlan({ role: "host", cpus: rtCpus.join(",") }), "json");
    } catch (err) {
      if (yes) throw err;
      return [`host-setup: no host plan for this machine (${(err as Error).message}); measuring it as it is`];
    }
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-task-plan-"));
    try {
      const file = join(dir, "plan.json");
      writeFileSync(file, plan);
      report = await runApply({ plan: file, yes });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const lines = formatApplyReport(report).trimEnd().split("\n");
  if (yes && report.rebootRequired) {
    throw new Kvm4nfvError(
      "TOOL_FAILED",
      "host-setup0.sh's kernel command line was written: reboot required",
      {
        hint: "reboot the host, then run the task again (kvm4nfv never reboots a host itself)",
      },
    );
  }
  const where = target && !target.node.local ? ` on node ${target.node.name}` : "";
  return [
    yes ? `host-setup${where} (applied):` : `host-setup${where} (dry run; --yes applies it):`,
    ...lines.map((l) => `  ${l}`),
  ];
}

function prepareCyclictest(
  task: Task,
  s: Scenario,
  target: NodeTarget | null,
  flags: RunTaskFlags,
): PreparedScenario {
  const node = target?.node ?? null;
  const setup = mapSetup(task, s);
  const where = (flags.where as "host" | "guest" | undefined) ?? (setup.guest ? "guest" : "host");
  const affinity = opt(s, "affinity", 1);
  const threads = opt(s, "threads", 1);
  const key = `${task.file}:${s.line}: scenarios.${s.index}.options`;
  if (threads !== 1) {
    throw new InputError(
      "BAD_INPUT",
      `${key}.threads: ${threads} threads on CPU ${affinity} (cyclictest -a ${affinity} -t ${threads}) share one CPU; kvm4nfv measures one thread per CPU, give threads: 1`,
    );
  }
  if (where === "guest" && affinity !== 1) {
    throw new InputError(
      "BAD_INPUT",
      `${key}.affinity: ${affinity}: the RT guest's measured vCPU is 1 (isolcpus=1, as guest-setup0.sh set it)`,
    );
  }
  const remote = target && !target.node.local ? target : null;
  if (remote && where === "guest")
    remoteRefused(
      task,
      s,
      remote.node,
      "would run cyclictest in a guest there; kvm4nfv launches its RT guest on this machine only (--where host measures the node itself over SSH)",
    );
  const limits: SlaLimit[] = [];
  for (const [k, metric] of [
    ["max_min_latency", "min"],
    ["max_avg_latency", "avg"],
    ["max_max_latency", "max"],
  ] as const) {
    const v = s.sla?.limits[k];
    if (v !== undefined) limits.push({ metric, limitUs: v });
  }
  const options: TimerTestOptions = {
    where,
    loops: opt(s, "loops", 1000),
    intervalUs: opt(s, "interval", 1000),
    priority: opt(s, "priority", 99),
    histogramUs: opt(s, "histogram", 90),
    breaktraceUs: opt(s, "breaktrace", 1000),
    // The task's SLA is judged below: cyclictest's min/avg/max need no histogram reaching the limits.
    sla: [],
    load: setup.hostLoad,
    label: s.tc ?? task.name,
  };
  if (where === "guest") options.guestLoad = setup.guestLoad;
  else options.cpus = [affinity];
  const args = `-a ${affinity} -b ${options.breaktraceUs} -i ${options.intervalUs} -p ${options.priority} -l ${options.loops} -t 1 -h ${options.histogramUs}`;
  return {
    scenario: s,
    node,
    setup,
    summary: `Cyclictest (${args}) → kvm4nfv test timer --where ${where}${where === "host" ? ` on CPU ${affinity}` : " (guest vCPU 1)"}${target ? ` on ${describeTarget(target)}` : ""}; runner ${s.runner.type === "Duration" ? `Duration ${s.runner.durationS} s` : `Iteration ×${s.runner.iterations}`}; SLA ${limits.length ? formatSla(limits) : "none"} µs (${s.sla?.action ?? "no action"})`,
    setUp: () => tuneHost(setup, target, flags, [affinity]),
    async runOnce() {
      let run: RunRecord;
      if (remote) run = await timerOnTarget(remote, flags, options);
      else {
        const { runTimerTest } = await import("../measure/timer.js");
        run = await runTimerTest(options);
      }
      run.verdict = evaluateSla(limits, run.cpus);
      run.params.sla = formatSla(limits);
      const data = cyclictestData(run.raw["cyclictest.stdout"] ?? "");
      const c = run.cpus[0];
      return {
        run,
        data,
        slaError: yardstickLatencySla(s, data),
        describe: c
          ? `min ${c.minUs} avg ${c.avgUs} max ${c.maxUs} µs over ${c.samples} samples, ${run.verdict.summary}`
          : run.verdict.summary,
      };
    },
  };
}

function prepareMigrate(
  task: Task,
  s: Scenario,
  target: NodeTarget | null,
  _flags: RunTaskFlags,
): PreparedScenario {
  const node = target?.node ?? null;
  const setup = mapSetup(task, s);
  if (node && !node.local)
    remoteRefused(task, s, node, "would host both QEMUs; kvm4nfv's migration test runs them on this machine");
  const smp = opt(s, "smp", 2);
  const maxDownS = opt(s, "max_down_time", 0.1);
  const key = `${task.file}:${s.line}: scenarios.${s.index}.options`;
  if (!Number.isInteger(smp) || smp < 1 || smp > 8)
    throw new InputError("BAD_INPUT", `${key}.smp: ${smp}: expected 1 to 8 vCPUs`);
  const downtimeLimitMs = Math.round(maxDownS * 1000);
  if (downtimeLimitMs < 1)
    throw new InputError("BAD_INPUT", `${key}.max_down_time: ${maxDownS} s is below QEMU's 1 ms step`);
  const lim = s.sla?.limits ?? {};
  const sla = {
    totalMs: (lim.max_totaltime ?? 2) * 1000,
    downtimeMs: (lim.max_downtime ?? 0.01) * 1000,
    ...(lim.max_setuptime !== undefined ? { setupMs: lim.max_setuptime * 1000 } : {}),
  };
  const notes: string[] = [];
  if (s.options.qmp_src_path !== undefined || s.options.qmp_dst_path !== undefined)
    notes.push(
      "qmp_src_path/qmp_dst_path: kvm4nfv's QMP sockets are private to each run, not fixed /tmp paths",
    );
  if (s.options.migrate_to_port !== undefined || s.options.incoming_ip !== undefined)
    notes.push(
      `incoming_ip ${s.options.incoming_ip ?? 0}:${s.options.migrate_to_port ?? 4444}: kvm4nfv migrates over loopback TCP on a free port (a fixed port may be taken)`,
    );
  return {
    scenario: s,
    node,
    setup,
    summary: `QemuMigrate (smp ${smp}, max_down_time ${maxDownS} s) → kvm4nfv test migration with ${smp} vCPUs, downtime limit ${downtimeLimitMs} ms, bandwidth unlimited (migrate_set_speed 0); SLA total ≤ ${sla.totalMs} ms, downtime ≤ ${sla.downtimeMs} ms${sla.setupMs !== undefined ? `, setup ≤ ${sla.setupMs} ms` : ""} (${s.sla?.action ?? "no action"})`,
    setUp: async () => [...notes, ...(await tuneHost(setup, target, _flags, [1]))],
    async runOnce() {
      const [{ planFromFlags }, { withMigrationSession }] = await Promise.all([
        import("../measure/migration/command.js"),
        import("../measure/migration/migration.js"),
      ]);
      // migrate_set_speed 0 is "no limit": the largest bandwidth kvm4nfv's parser takes stands for it.
      const plan = planFromFlags({ downtimeLimit: `${downtimeLimitMs}ms`, bandwidth: "1000Gbit" });
      const options = { ...plan.options, vcpus: smp, sla };
      const run = await withMigrationSession(options, (session) => session.migrate(plan.config));
      const m = run.metrics;
      const ms = (k: string) => (typeof m[k] === "number" ? String(Math.round(m[k] as number)) : "");
      const data = {
        totaltime: ms("total_time_ms"),
        downtime: ms("downtime_ms"),
        setuptime: ms("setup_time_ms"),
      };
      let slaError = "";
      for (const [t, limitMs] of [
        ["totaltime", sla.totalMs],
        ["downtime", sla.downtimeMs],
        ["setuptime", sla.setupMs],
      ] as const) {
        const v = Number.parseInt(data[t], 10);
        if (limitMs !== undefined && Number.isFinite(v) && v > limitMs)
          slaError += `${t} timevalue ${v} ms > sla:max_${t}(${limitMs / 1000} s); `;
      }
      return {
        run,
        data,
        slaError,
        describe: `total ${data.totaltime} ms, downtime ${data.downtime} ms, setup ${data.setuptime} ms; ${run.verdict.summary}`,
      };
    },
  };
}

export function prepareScenario(
  task: Task,
  s: Scenario,
  target: NodeTarget | null,
  flags: RunTaskFlags,
): PreparedScenario {
  return s.type === "Cyclictest"
    ? prepareCyclictest(task, s, target, flags)
    : prepareMigrate(task, s, target, flags);
}
