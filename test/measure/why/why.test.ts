/**
 * why/: spikes explained in the tuning guide's terms, with the check rule and remedy. The two planted causes
 * are real traces from the RT guest (test/fixtures/rtla, see its README): a SCHED_FIFO 99 stress-ng on the
 * measured vCPU under `rtla timerlat hist -a 100000`, and the serial IRQ moved onto it under cyclictest
 * --breaktrace with irq,sched,timer traced. The other kinds use lines in the kernel's own event formats.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stopMissingFromTrace } from "../../../src/measure/rtla/rtla.js";
import { parseTraceEvents } from "../../../src/measure/why/events.js";
import { explainHwlat, explainSpike } from "../../../src/measure/why/why.js";
import { RULES } from "../../../src/tuning/rules/index.js";

const fx = (n: string) => readFileSync(join(import.meta.dirname, "..", "..", "fixtures", "rtla", n), "utf8");

describe("trace events", () => {
  it("reads ftrace lines, timerlat's unnamed lines, and skips stacks and comments", () => {
    const ev = parseTraceEvents(fx("timerlat-auto-trace-6.1-tcg.txt"));
    expect(ev.map((e) => [e.task, e.pid, e.cpu, e.event])).toEqual([
      ["timerlat/1", 144, 1, "timerlat"],
      ["timerlat/1", 144, 1, "irq_noise"],
      ["timerlat/1", 144, 1, "timerlat"],
      ["timerlat/1", 144, 1, "irq_noise"],
      ["timerlat/1", 144, 1, ""],
    ]);
  });
});

describe("planted causes (real RT-guest traces)", () => {
  it("a busy FIFO thread on the RT CPU → thread on RT CPU, os.cpu-isolation.isolcpus", () => {
    const why = explainSpike({
      source: "timerlat",
      trace: fx("timerlat-hog-trace-6.1-tcg.txt"),
      rtCpus: [1],
    })!;
    expect(why.cpu).toBe(1);
    expect(why.latencyUs).toBe(310074);
    expect(why.causes[0]).toMatchObject({
      kind: "thread-on-rt-cpu",
      what: "stress-ng-cpu (pid 134)",
      durationUs: 303988,
      ruleId: "os.cpu-isolation.isolcpus",
    });
    expect(why.summary).toMatch(/^310074 µs spike on CPU 1: thread on rt cpu — stress-ng-cpu/);
  });

  it("the serial IRQ moved onto the RT CPU → IRQ on RT CPU, os.irq-affinity with the exact IRQ", () => {
    const why = explainSpike({
      source: "cyclictest",
      trace: fx("cyclictest-breaktrace-irq-plant-6.1-tcg.txt"),
      rtCpus: [1],
    })!;
    expect(why.latencyUs).toBe(35973);
    expect(why.cpu).toBe(1);
    const irq = why.causes.find((c) => c.kind === "irq-on-rt-cpu")!;
    expect(irq).toMatchObject({ what: "IRQ 4 (ttyS0)", ruleId: "os.irq-affinity" });
    expect(irq.durationUs).toBeGreaterThan(0);
    expect(irq.remedy).toContain("/proc/irq/4/smp_affinity_list");
    // Under TCG most of the 36 ms is the emulator not running the vCPU: said, not hidden.
    expect(why.summary).toMatch(/account for \d+ of 35973 µs/);
    expect(why.events.at(-1)).toContain("hit latency threshold (35973 > 20000)");
    expect(why.events.every((l) => /\[001\]/.test(l))).toBe(true);
  });

  it("the measuring timer's own IRQ is not a cause", () => {
    const why = explainSpike({
      source: "timerlat",
      trace: fx("timerlat-auto-trace-6.1-tcg.txt"),
      rtCpus: [1],
    })!;
    expect(why.causes.some((c) => c.what.startsWith("local timer"))).toBe(false);
  });
});

const L = (task: string, cpu: number, ts: string, rest: string) =>
  `${task.padStart(16)} [00${cpu}] d..h1..  ${ts}: ${rest}`;
const mark = (ts: string, us: number) =>
  L("cyclictest-400", 1, ts, `tracing_mark_write: hit latency threshold (${us} > 100)`);

describe("each cause kind maps to its rule", () => {
  it.each([
    [
      L(
        "kworker/1:1-35",
        1,
        "10.000100",
        "sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=kworker/1:1 next_pid=35 next_prio=120",
      ),
      "kthread-preempting",
      "os.workqueue.cpumask",
    ],
    [
      L(
        "rcuc/1-20",
        1,
        "10.000100",
        "sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=rcuc/1 next_pid=20 next_prio=98",
      ),
      "kthread-preempting",
      "os.rcu-nocbs",
    ],
    [
      L("<idle>-0", 1, "10.000100", "softirq_entry: vec=1 [action=TIMER]"),
      "timer-tick",
      "os.tickless.nohz-full",
    ],
    [L("<idle>-0", 1, "10.000100", "softirq_entry: vec=3 [action=NET_RX]"), "softirq", "os.irq-affinity"],
    [
      `${L("<idle>-0", 1, "10.000050", "cpu_idle: state=3 cpu_id=1")}\n${L("<idle>-0", 1, "10.000150", "cpu_idle: state=4294967295 cpu_id=1")}`,
      "idle-exit",
      "os.idle",
    ],
    [
      L("timerlat/1-9", 1, "10.000100", "nmi_noise: start 10.000090000 duration 5000 ns"),
      "nmi",
      "os.watchdog.nmi",
    ],
  ])("%s", (lines, kind, ruleId) => {
    const why = explainSpike({
      source: "cyclictest",
      trace: `${lines}\n${mark("10.000200", 180)}\n`,
      rtCpus: [1],
    })!;
    expect(why.causes[0]).toMatchObject({ kind, ruleId });
  });

  it("events before the window or on another CPU are not causes; nothing left is 'unexplained'", () => {
    const trace = [
      L("<idle>-0", 1, "9.000000", "irq_handler_entry: irq=30 name=eth0"),
      L("<idle>-0", 0, "10.000150", "irq_handler_entry: irq=31 name=eth1"),
      mark("10.000200", 100),
    ].join("\n");
    const why = explainSpike({ source: "cyclictest", trace, rtCpus: [1] })!;
    expect(why.causes).toEqual([]);
    expect(why.summary).toMatch(/unexplained/);
  });

  it("hwlatdetect samples → SMI, platform.smi; none → nothing to explain", () => {
    expect(explainHwlat(53658, 5, 10)!.causes[0]).toMatchObject({ kind: "smi", ruleId: "platform.smi" });
    expect(explainHwlat(null, 0, 10)).toBeNull();
  });

  it("every rule id named is a real check rule", () => {
    const ids = new Set(RULES.map((r) => r.id));
    for (const id of [
      "os.cpu-isolation.isolcpus",
      "os.irq-affinity",
      "os.workqueue.cpumask",
      "os.rcu-nocbs",
      "os.watchdog",
      "os.watchdog.nmi",
      "os.tickless.nohz-full",
      "os.idle",
      "platform.smi",
    ]) {
      expect(ids.has(id), id).toBe(true);
    }
    const src = readFileSync(
      join(import.meta.dirname, "..", "..", "..", "src", "measure", "why", "why.ts"),
      "utf8",
    );
    for (const m of src.matchAll(/ruleId: "([\w.-]+)"/g)) expect(ids.has(m[1]!), m[1]).toBe(true);
  });
});

describe("rtla stopped at a spike its saved trace does not hold", () => {
  const full = fx("timerlat-hog-trace-6.1-tcg.txt");
  const stopLine = full.split("\n").findIndex((l) => /context\s+thread timer_latency\s+\d{9,} ns/.test(l));
  it("keeps the explanation when the stopping activation is in the trace", () => {
    const why = explainSpike({ source: "timerlat", trace: full, rtCpus: [1] })!;
    expect(why.latencyUs).toBe(310074);
    expect(stopMissingFromTrace(why, 300_000, 310_074)).toEqual(why);
  });
  it("says so when the trace ends before the stop, or holds no events", () => {
    expect(stopLine).toBeGreaterThan(0);
    const cut = full.split("\n").slice(0, stopLine).join("\n");
    const why = explainSpike({ source: "timerlat", trace: cut, rtCpus: [1] });
    const header = full
      .split("\n")
      .filter((l) => l.startsWith("#"))
      .join("\n");
    for (const w of [why, explainSpike({ source: "timerlat", trace: header, rtCpus: [1] })]) {
      const said = stopMissingFromTrace(
        w ?? {
          source: "timerlat",
          cpu: null,
          latencyUs: null,
          window: null,
          causes: [],
          events: [],
          summary: "",
        },
        300_000,
        310_074,
      );
      expect(said.stopInTrace).toBe(false);
      expect(said.summary).toMatch(
        /^rtla stopped at an activation over 300000 µs \(its histogram's max: 310074 µs\)/,
      );
    }
  });
});
