/**
 * Why a spike happened, in the terms of the KVM4NFV tuning guide, mapped to the `check` rule that catches the
 * setting and the remedy that removes it:
 *   an IRQ on an RT CPU → os.irq-affinity; a kthread preempting → os.workqueue.cpumask (kworker),
 *   os.rcu-nocbs (rcu*), os.watchdog (watchdog), os.cpu-isolation.isolcpus (others); another thread on the RT
 *   CPU → os.cpu-isolation.isolcpus; the timer tick → os.tickless.nohz-full; an exit from a deep idle state →
 *   os.idle; an NMI → os.watchdog.nmi; latency the OS did not cause (hwlat) → platform.smi.
 * Sources: rtla's stopped trace (timerlat: the worst activation's "context … timer_latency" lines and the
 * osnoise noise events irq_noise/softirq_noise/thread_noise/nmi_noise with their start and duration), and a
 * trace captured with --trace around cyclictest --breaktrace (--tracemark: "hit latency threshold (X > Y)";
 * events irq_handler_entry, softirq_entry, sched_switch, hrtimer_expire_entry, cpu_idle).
 * When nothing in the window explains the spike the answer is "unexplained": unknown, never a guess.
 */

import { PATHS } from "../../host/paths.js";
import { fields, parseTraceEvents, type TraceEvent } from "./events.js";

export type CauseKind =
  | "irq-on-rt-cpu"
  | "kthread-preempting"
  | "thread-on-rt-cpu"
  | "timer-tick"
  | "softirq"
  | "idle-exit"
  | "nmi"
  | "smi";

export interface Cause {
  kind: CauseKind;
  /** What exactly: "IRQ 4 (ttyS0)", "kworker/1:1 (pid 35)". */
  what: string;
  /** Time it took inside the window, when the trace says (µs). */
  durationUs: number | null;
  ruleId: string;
  remedy: string;
  /** The trace line that shows it. */
  line: number | null;
}

export interface SpikeExplanation {
  source: string;
  cpu: number | null;
  latencyUs: number | null;
  /** Seconds (trace clock): the window before the spike that was read. */
  window: { from: number; to: number } | null;
  causes: Cause[];
  /** Events on that CPU in the window (at most 200), as trace lines, for the report. */
  events: string[];
  summary: string;
  /** false when the tool stopped at a spike its saved trace does not hold (this explains a smaller one). */
  stopInTrace?: boolean;
}

const MEASURERS = /^(?:timerlat\/\d+|osnoise\/\d+|cyclictest|oslat|hwlatd|<idle>|swapper\/\d+)$/;
const PERCPU_KTHREAD =
  /^(?:kworker|ksoftirqd|rcu\w*|migration|cpuhp|watchdog|irq|ktimers|idle_inject|kcompactd|khugepaged|kswapd)\b/;

function kthreadRule(task: string): { ruleId: string; remedy: string } {
  if (/^kworker/.test(task)) {
    return {
      ruleId: "os.workqueue.cpumask",
      remedy: `write the housekeeping CPUs to ${PATHS.workqueueCpumask} so unbound work stays off the RT CPUs`,
    };
  }
  if (/^rcu/.test(task))
    return {
      ruleId: "os.rcu-nocbs",
      remedy:
        "rcu_nocbs=<RT CPUs> (and rcu_nocb_poll) on the kernel cmdline: RCU callbacks run on housekeeping CPUs",
    };
  if (/^watchdog/.test(task))
    return { ruleId: "os.watchdog", remedy: "nowatchdog on the cmdline, or sysctl kernel.watchdog=0" };
  if (/^(?:ksoftirqd|irq)/.test(task))
    return {
      ruleId: "os.irq-affinity",
      remedy: `move the interrupts (and their threads) to the housekeeping CPUs: irqaffinity=<housekeeping> and ${PATHS.irqAffinityList}`,
    };
  return {
    ruleId: "os.cpu-isolation.isolcpus",
    remedy: "isolcpus=managed_irq,domain,<RT CPUs> so the scheduler keeps kernel threads off the RT CPUs",
  };
}

function threadCause(task: string, pid: number, durationUs: number | null, line: number | null): Cause {
  const kthread = PERCPU_KTHREAD.test(task) || /\/\d+(?::\d+)?$/.test(task);
  if (kthread)
    return {
      kind: "kthread-preempting",
      what: `${task} (pid ${pid})`,
      durationUs,
      line,
      ...kthreadRule(task),
    };
  return {
    kind: "thread-on-rt-cpu",
    what: `${task} (pid ${pid})`,
    durationUs,
    line,
    ruleId: "os.cpu-isolation.isolcpus",
    remedy: `keep other tasks off the RT CPUs: isolcpus=<RT CPUs>, and move ${task} to a housekeeping CPU (taskset -a -p -c <housekeeping> ${pid})`,
  };
}

const TICK: Pick<Cause, "ruleId" | "remedy"> = {
  ruleId: "os.tickless.nohz-full",
  remedy:
    "nohz_full=<RT CPUs> on a kernel with CONFIG_NO_HZ_FULL=y, so the scheduler tick stops on the RT CPUs",
};
const IRQ_RULE = (n: string, name: string): Pick<Cause, "ruleId" | "remedy"> => ({
  ruleId: "os.irq-affinity",
  remedy: `move IRQ ${n} (${name}) to the housekeeping CPUs: echo <housekeeping> > /proc/irq/${n}/smp_affinity_list, and irqaffinity=<housekeeping> on the cmdline`,
});

function softirqCause(name: string, durationUs: number | null, line: number | null): Cause {
  const n = name.toUpperCase();
  if (n === "TIMER" || n === "HRTIMER")
    return { kind: "timer-tick", what: `${n} softirq`, durationUs, line, ...TICK };
  if (n === "RCU")
    return {
      kind: "softirq",
      what: "RCU softirq",
      durationUs,
      line,
      ruleId: "os.rcu-nocbs",
      remedy: "rcu_nocbs=<RT CPUs> on the kernel cmdline",
    };
  return {
    kind: "softirq",
    what: `${n} softirq`,
    durationUs,
    line,
    ...IRQ_RULE("<n>", `the device raising ${n}`),
  };
}

/** Causes from osnoise noise events (rtla timerlat/osnoise stopped traces). */
function noiseCause(e: TraceEvent, measuringIrqTs: number | null): Cause | null {
  const m = /^(\S*?)(?::(\d+))?\s*start\s+([\d.]+)\s+duration\s+(\d+)\s*ns/.exec(e.details);
  if (!m) return null;
  const start = Number(m[3]);
  const durationUs = Math.round(Number(m[4]) / 1000);
  const name = m[1] ?? "";
  const id = m[2] ?? "";
  switch (e.event) {
    case "irq_noise":
      // The measuring timer's own IRQ is not noise: it is the activation itself.
      if (measuringIrqTs !== null && start <= measuringIrqTs && start + durationUs / 1e6 >= measuringIrqTs)
        return null;
      if (name === "local_timer")
        return { kind: "timer-tick", what: `local timer IRQ ${id}`, durationUs, line: e.line, ...TICK };
      return {
        kind: "irq-on-rt-cpu",
        what: `IRQ ${id} (${name})`,
        durationUs,
        line: e.line,
        ...IRQ_RULE(id, name),
      };
    case "softirq_noise":
      return softirqCause(name, durationUs, e.line);
    case "thread_noise":
      if (MEASURERS.test(name)) return null;
      return threadCause(name, Number(id), durationUs, e.line);
    case "nmi_noise":
      return {
        kind: "nmi",
        what: "NMI",
        durationUs,
        line: e.line,
        ruleId: "os.watchdog.nmi",
        remedy: "nmi_watchdog=0 on the cmdline (and no perf sampling on the RT CPUs)",
      };
    default:
      return null;
  }
}

/** Entry and exit events that pair up: irq=N, softirq vec, hrtimer, a task switched in and out again. */
function pairKeys(e: TraceEvent): { opens: string; closes: string } {
  const f = fields(e.details);
  switch (e.event) {
    case "irq_handler_entry":
      return { opens: `irq${f.irq}`, closes: "" };
    case "irq_handler_exit":
      return { opens: "", closes: `irq${f.irq}` };
    case "softirq_entry":
      return { opens: `softirq${f.vec}`, closes: "" };
    case "softirq_exit":
      return { opens: "", closes: `softirq${f.vec}` };
    case "hrtimer_expire_entry":
      return { opens: `hrtimer${f.hrtimer}`, closes: "" };
    case "hrtimer_expire_exit":
      return { opens: "", closes: `hrtimer${f.hrtimer}` };
    case "sched_switch":
      return { opens: `task${f.next_pid}`, closes: `task${f.prev_pid}` };
    default:
      return { opens: "", closes: "" };
  }
}

/** Causes from plain ftrace events (--trace capture). */
function eventCause(e: TraceEvent, idleState: Map<number, number>): Cause | null {
  const f = fields(e.details);
  switch (e.event) {
    case "irq_handler_entry":
      if (/^(?:local_timer|timer)$/.test(f.name ?? "")) return null;
      return {
        kind: "irq-on-rt-cpu",
        what: `IRQ ${f.irq} (${f.name})`,
        durationUs: null,
        line: e.line,
        ...IRQ_RULE(f.irq ?? "?", f.name ?? "?"),
      };
    case "softirq_entry": {
      const action = /action=(\w+)/.exec(e.details)?.[1] ?? `vec ${f.vec}`;
      return softirqCause(action, null, e.line);
    }
    case "hrtimer_expire_entry":
      if (/tick_sched_timer|tick_nohz_handler/.test(f.function ?? ""))
        return {
          kind: "timer-tick",
          what: "scheduler tick (tick_sched_timer)",
          durationUs: null,
          line: e.line,
          ...TICK,
        };
      return null;
    case "sched_switch": {
      const next = /next_comm=(.+?) next_pid=(\d+)/.exec(e.details);
      if (!next || MEASURERS.test(next[1]!)) return null;
      return threadCause(next[1]!, Number(next[2]), null, e.line);
    }
    case "cpu_idle": {
      const state = Number(f.state);
      if (state === 4294967295 || state === -1) {
        const was = idleState.get(e.cpu) ?? 0;
        if (was >= 1) {
          return {
            kind: "idle-exit",
            what: `exit from idle state ${was}`,
            durationUs: null,
            line: e.line,
            ruleId: "os.idle",
            remedy:
              "keep the RT CPUs out of deep C-states: idle=poll or intel_idle.max_cstate=0 processor.max_cstate=1 (or hold /dev/cpu_dma_latency at 0, rtla --dma-latency 0)",
          };
        }
      } else idleState.set(e.cpu, state);
      return null;
    }
    default:
      return null;
  }
}

function summarize(cpu: number | null, latencyUs: number | null, causes: Cause[]): string {
  const head = `${latencyUs !== null ? `${latencyUs} µs spike` : "spike"}${cpu !== null ? ` on CPU ${cpu}` : ""}`;
  if (causes.length === 0)
    return `${head}: unexplained — nothing on that CPU in the window before it (hardware, SMI or, in a VM, the hypervisor?)`;
  const c = causes[0]!;
  const main = `${head}: ${c.kind.replace(/-/g, " ")} — ${c.what}${c.durationUs !== null ? ` for ${c.durationUs} µs` : ""} → ${c.ruleId}: ${c.remedy}`;
  const known = causes.reduce((a, x) => a + (x.durationUs ?? 0), 0);
  if (latencyUs !== null && causes.every((x) => x.durationUs !== null) && known < latencyUs / 2) {
    return `${main}; but the causes found account for ${known} of ${latencyUs} µs — the rest is not in this CPU's trace (hardware, an SMI or, in a VM, the hypervisor not running the vCPU: platform.smi)`;
  }
  return main;
}

/** Merge repeated causes (same kind and what), summing their time; longest first. */
function rank(causes: Cause[]): Cause[] {
  const merged = new Map<string, Cause>();
  for (const c of causes) {
    const key = `${c.kind}|${c.what}`;
    const have = merged.get(key);
    if (!have) merged.set(key, { ...c });
    else if (c.durationUs !== null) have.durationUs = (have.durationUs ?? 0) + c.durationUs;
  }
  return [...merged.values()].sort((a, b) => (b.durationUs ?? -1) - (a.durationUs ?? -1));
}

export interface ExplainInput {
  source: "timerlat" | "osnoise" | "cyclictest" | string;
  trace: string;
  rtCpus: readonly number[];
}

export function explainSpike(input: ExplainInput): SpikeExplanation | null {
  const events = parseTraceEvents(input.trace);
  if (events.length === 0) return null;
  // The spike: timerlat's worst "context thread/irq timer_latency N ns", else cyclictest's trace mark,
  // else osnoise's sample_threshold.
  let cpu: number | null = null;
  let at: number | null = null;
  let latencyUs: number | null = null;
  let measuringIrqTs: number | null = null;
  for (const e of events) {
    const tl =
      e.event === "timerlat"
        ? /^#(\d+)\s+context\s+(irq|thread)\s+timer_latency\s+(\d+)\s*ns/.exec(e.details)
        : null;
    if (tl) {
      const us = Math.round(Number(tl[3]) / 1000);
      if (tl[2] === "irq") measuringIrqTs = e.ts;
      if (latencyUs === null || us >= latencyUs) {
        latencyUs = us;
        cpu = e.cpu;
        at = e.ts;
      }
      continue;
    }
    const mark = /hit latency threshold \((\d+) > (\d+)\)/.exec(e.details);
    if (e.event === "tracing_mark_write" && mark) {
      latencyUs = Number(mark[1]);
      cpu = e.cpu;
      at = e.ts;
      continue;
    }
    const sample = /start\s+([\d.]+)\s+duration\s+(\d+)\s*ns/.exec(e.details);
    if (e.event === "sample_threshold" && sample) {
      const us = Math.round(Number(sample[2]) / 1000);
      if (latencyUs === null || us >= latencyUs) {
        latencyUs = us;
        cpu = e.cpu;
        at = e.ts;
      }
    }
  }
  if (at === null || latencyUs === null) {
    // No marked spike: judge the whole trace on the RT CPUs.
    at = events[events.length - 1]!.ts;
    latencyUs = null;
  }
  const from = at - (latencyUs ?? Number.POSITIVE_INFINITY) / 1e6 - 0.0001;
  const onCpu = events.filter((e) => (cpu === null ? input.rtCpus.includes(e.cpu) : e.cpu === cpu));
  const causes: Cause[] = [];
  const window: TraceEvent[] = [];
  const idleState = new Map<number, number>();
  const open = new Map<string, { cause: Cause; ts: number }>();
  for (const e of onCpu) {
    if (e.ts > at + 0.000001) break;
    const noise = /^(irq|softirq|thread|nmi)_noise$/.test(e.event);
    if (noise) {
      const m = /start\s+([\d.]+)\s+duration\s+(\d+)/.exec(e.details);
      const end = m ? Number(m[1]) + Number(m[2]) / 1e9 : e.ts;
      if (end < from) continue;
      window.push(e);
      const c = noiseCause(e, measuringIrqTs);
      if (c) causes.push(c);
      continue;
    }
    const c = eventCause(e, idleState);
    if (e.ts < from) continue;
    window.push(e);
    // An exit (or the task switched out again) closes the entry it pairs with: the cause's time on the CPU.
    const { opens, closes } = pairKeys(e);
    const o = closes ? open.get(closes) : undefined;
    if (o && closes) {
      o.cause.durationUs = Math.round((e.ts - o.ts) * 1e6);
      open.delete(closes);
    }
    if (c) {
      causes.push(c);
      if (opens) open.set(opens, { cause: c, ts: e.ts });
    }
  }
  const lines = input.trace.split("\n");
  const ranked = rank(causes);
  return {
    source: input.source,
    cpu,
    latencyUs,
    window: Number.isFinite(from) ? { from, to: at } : null,
    causes: ranked,
    events: window.slice(-200).map((e) => lines[e.line - 1] ?? ""),
    summary: summarize(cpu, latencyUs, ranked),
  };
}

/** hwlatdetect's samples are latency the OS did not cause: SMIs (or, in a VM, the hypervisor). */
export function explainHwlat(
  maxUs: number | null,
  samples: number,
  thresholdUs: number | null,
): SpikeExplanation | null {
  if (!maxUs || samples === 0) return null;
  const cause: Cause = {
    kind: "smi",
    what: `${samples} hardware-latency sample${samples === 1 ? "" : "s"} above ${thresholdUs ?? "?"} µs with interrupts off (SMI, firmware or the hypervisor)`,
    durationUs: maxUs,
    line: null,
    ruleId: "platform.smi",
    remedy:
      "disable the BIOS options that raise SMIs (vendor power/thermal management, USB legacy emulation); on a VM, the host and hypervisor",
  };
  return {
    source: "hwlat",
    cpu: null,
    latencyUs: maxUs,
    window: null,
    causes: [cause],
    events: [],
    summary: summarize(null, maxUs, [cause]),
  };
}
