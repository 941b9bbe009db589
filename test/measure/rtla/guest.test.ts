/**
 * The instruments in the real RT guest (Debian's PREEMPT_RT kernel under TCG here), all in ONE boot (boots
 * are slow on the shared machine): oslat, rtla timerlat, rtla osnoise, hwlatdetect, then two spikes planted
 * on purpose on the measured vCPU 1 — a SCHED_FIFO busy thread under timerlat --stop-at, and the serial IRQ
 * moved onto vCPU 1 under a traced cyclictest --breaktrace — which the why/ analysis must name, with the
 * check rule that removes them.
 */
import { describe, expect, it } from "vitest";
import { assembleHwlatRecord, hwlatGuestScript, planHwlat } from "../../../src/measure/hwlat/hwlat.js";
import { oslatGuestScript, oslatRecordFromGuest, planOslat } from "../../../src/measure/oslat/oslat.js";
import { runInRtGuest } from "../../../src/measure/rtla/rt-guest.js";
import { planRtla, rtlaGuestScript, rtlaRecordFromGuest } from "../../../src/measure/rtla/rtla.js";
import { traceAround } from "../../../src/measure/trace/capture.js";
import { explainSpike } from "../../../src/measure/why/why.js";

const oslat = planOslat({ durationMs: 3000, sla: undefined }, { cpus: [1], online: [0, 1] });
const timerlat = planRtla({ tool: "timerlat", durationMs: 4000 }, [1]);
const osnoise = planRtla({ tool: "osnoise", durationMs: 3000 }, [1]);
const hwlat = planHwlat({ durationMs: 3000 }, [1]);
// TCG's own spikes reach a few hundred ms on this loaded machine; 2 s busy slices of a SCHED_FIFO 99 hog (80 %
// load: it sleeps between slices, so stress-ng's parent on the same vCPU still runs and ends it) stop at 1.2 s.
// -d 60: the stop ends it within seconds; the length is only a bound, wide enough for a loaded host.
const hog = planRtla({ tool: "timerlat", durationMs: 60_000, stopAtUs: 1_200_000 }, [1]);
const HOG =
  "stress-ng --cpu 1 --cpu-load 80 --cpu-load-slice 2000 --taskset 1 --sched fifo --sched-prio 99 --timeout 90s > /out/hog.out 2>&1 &";
// The break must be crossed whatever the host's load: TCG's spikes under the serial-IRQ storm were 21 ms on an
// idle host but at most 7.9 ms under load (a 20 ms break was never hit: no trace mark, the test failed), while
// more than 400 of 10 724 cycles passed 1 ms in both; a 2 ms break is crossed within the first seconds.
const CYCLICTEST =
  "cyclictest -m -p 99 -i 1000 -t 1 -a 1 -h 1000 -q -D 12 -b 2000 --tracemark > /out/ct.stdout 2>&1";

const script = [
  oslatGuestScript(oslat, null),
  rtlaGuestScript(timerlat, null),
  rtlaGuestScript(osnoise, null),
  hwlatGuestScript(hwlat),
  // Planted 1: a FIFO 99 busy thread on the measured vCPU, timerlat stopping at 1.2 s.
  "mkdir -p /tmp/hog && cd /tmp/hog",
  HOG,
  "HOG=$!",
  // Measure only once the plant is active: on a loaded host stress-ng took longer to start than rtla's run.
  "for i in $(seq 600); do grep -q 'dispatching hogs' /out/hog.out 2>/dev/null && break; sleep 0.1; done; sleep 1",
  rtlaGuestScript(hog, null).replace(/\/out\//g, "/tmp/hog/"),
  'kill "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null',
  'for f in /tmp/hog/*; do cp "$f" "/out/hog-$(basename "$f")"; done; cd /out',
  // Planted 2: the serial port's IRQ moved onto vCPU 1 and kept busy from vCPU 0, under a traced cyclictest.
  "cat /proc/interrupts > /out/interrupts.txt",
  "IRQ=$(grep -m1 ttyS0 /proc/interrupts | cut -d: -f1 | tr -d ' '); echo $IRQ > /out/plant-irq",
  "echo 1 > /proc/irq/$IRQ/smp_affinity_list; cat /proc/irq/$IRQ/smp_affinity_list > /out/plant-affinity",
  "(while :; do echo kvm4nfv-plant-irq > /dev/ttyS0; usleep 500; done) & W=$!",
  // ... and once ttyS0's interrupts are being handled on vCPU 1.
  'n1() { grep -m1 ttyS0 /proc/interrupts | awk \'{print $3}\'; }; B=$(n1); for i in $(seq 600); do [ "$(n1)" -gt "$B" ] && break; sleep 0.1; done',
  traceAround(["irq", "sched", "timer"], CYCLICTEST),
  'kill "$W"; wait "$W" 2>/dev/null',
  "exit 0",
].join("\n");

let outcome: Awaited<ReturnType<typeof runInRtGuest>>;
const ready = (async () => {
  outcome = await runInRtGuest({ script, expectedMs: 240_000, accel: "auto" });
})();

const hogOutcome = () => {
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(outcome.result.outputs))
    if (k.startsWith("hog-")) outputs[k.slice(4)] = v;
  return { ...outcome, result: { ...outcome.result, outputs } };
};

describe("instruments in the RT guest (one boot)", { timeout: 600_000 }, () => {
  it("runs oslat: a stored-shape record, TCG said", async () => {
    await ready;
    const run = oslatRecordFromGuest({}, oslat, outcome, "idle_idle");
    expect(run.environment.accelerator).toBeDefined();
    expect(run.environment.guestKernelRelease).toMatch(/-rt-amd64$/);
    expect(run.cpus[0]!.cpu).toBe(1);
    expect(run.cpus[0]!.maxUs).toBe(
      Number(/Maximum:\s+(\d+)/.exec(outcome.result.outputs["oslat.stdout"]!)![1]),
    );
  });

  it("runs timerlat: thread and IRQ latency of vCPU 1 as rtla printed them", async () => {
    await ready;
    const run = rtlaRecordFromGuest({ tool: "timerlat" }, timerlat, outcome, "idle_idle");
    const text = outcome.result.outputs["timerlat.stdout"]!;
    const max = /^max:\s+(\d+)\s+(\d+)/m.exec(text)!;
    expect(run.cpus.map((c) => [c.cpu, c.thread, c.maxUs])).toEqual([
      [1, 0, Number(max[2])],
      [1, 1, Number(max[1])],
    ]);
    expect(run.environment.toolVersions["rtla (guest)"]).toBe("6.1");
  });

  it("runs osnoise: noise histogram and interference counts by kind", async () => {
    await ready;
    const run = rtlaRecordFromGuest({ tool: "osnoise" }, osnoise, outcome, "idle_idle");
    expect(run.type).toBe("osnoise");
    expect(run.cpus[0]!.cpu).toBe(1);
    for (const k of ["hw", "nmi", "irq", "softirq", "thread"])
      expect(typeof run.metrics[`cpu1.${k}`]).toBe("number");
  });

  it("runs hwlatdetect through the guest's python", async () => {
    await ready;
    const out = outcome.result.outputs;
    const run = assembleHwlatRecord({
      options: {},
      plan: hwlat,
      load: "idle_idle",
      startedAt: outcome.startedAt,
      environment: outcome.environment,
      raw: {},
      output: {
        command: "hwlatdetect",
        exitCode: Number(out["hwlat.rc"]),
        stdout: out["hwlat.stdout"] ?? "",
        stderr: out["hwlat.stderr"] ?? "",
      },
    });
    expect(run.type).toBe("hwlat");
    expect(run.metrics.thresholdUs).toBe(10);
    if (run.cpus[0]!.maxUs > 0)
      expect(JSON.parse(run.raw["why.json"]!).causes[0].ruleId).toBe("platform.smi");
  });

  it("stops timerlat at the planted busy thread and keeps the trace that shows it", async () => {
    await ready;
    const run = rtlaRecordFromGuest(
      { tool: "timerlat", stopAtUs: 1_200_000 },
      hog,
      hogOutcome(),
      "idle_idle",
    );
    expect(run.metrics.stoppedAtThreshold).toBe("yes");
    // The stop is the planted thread's: rtla's own histogram holds a thread latency over the threshold.
    expect(Number(run.metrics["thread.cpu1.maxUs"])).toBeGreaterThanOrEqual(1_200_000);
    const trace = run.raw["timerlat_trace.txt"]!;
    expect(trace).toMatch(/^# tracer: timerlat/);
    const why = JSON.parse(run.raw["why.json"]!);
    const thread = why.causes.find((c: { kind: string }) => c.kind === "thread-on-rt-cpu");
    if (why.stopInTrace === false) {
      // Seen under load: the trace rtla 6.1 saved ended 1.1 s before its 2 s stopping activation, and once it
      // held no events. Then the answer must say so and not pass a smaller spike's causes off as the stop's.
      expect(why.latencyUs ?? 0).toBeLessThan(1_200_000);
      expect(why.summary).toMatch(
        /^rtla stopped at an activation over 1200000 µs .*(does not hold|no events)/,
      );
    } else {
      // The stopping activation is in the trace (timerlat-hog-trace-6.1-tcg.txt is one such run): the
      // planted thread is there, on the measured vCPU, named with its rule.
      expect(why.cpu).toBe(1);
      expect(why.latencyUs).toBeGreaterThanOrEqual(1_200_000);
      expect(trace).toMatch(/\[001\].*thread_noise: stress-ng/);
      expect(thread, why.summary).toBeDefined();
      expect(thread.what).toMatch(/^stress-ng/);
      expect(thread.ruleId).toBe("os.cpu-isolation.isolcpus");
    }
  });

  it("captures the trace around cyclictest --breaktrace and names the planted IRQ: os.irq-affinity", async () => {
    await ready;
    const out = outcome.result.outputs;
    expect(out["plant-affinity"]!.trim()).toBe("1");
    const trace = out["trace.txt"]!;
    expect(trace).toMatch(/tracing_mark_write: hit latency threshold \(\d+ > 2000\)/);
    // hwlatdetect --cpu-list 1 ran earlier in this boot; the capture still traces both vCPUs.
    expect(trace).toMatch(/\[000\]/);
    const irq = out["plant-irq"]!.trim();
    // The plant is active: ttyS0's handler runs on the measured vCPU 1 during the traced run.
    const handler = new RegExp(
      `\\[001\\][^:]*\\s(\\d+\\.\\d+): irq_handler_entry: irq=${irq} name=ttyS0`,
      "g",
    );
    const handled = [...trace.matchAll(handler)].map((m) => Number(m[1]));
    expect(handled.length).toBeGreaterThan(0);
    const why = explainSpike({ source: "cyclictest", trace, rtCpus: [1] })!;
    expect(why.cpu).toBe(1);
    expect(why.window).not.toBeNull();
    const inWindow = handled.some((ts) => ts >= why.window!.from && ts <= why.window!.to);
    const c = why.causes.find((x) => x.kind === "irq-on-rt-cpu" && x.what.startsWith(`IRQ ${irq} `));
    if (inWindow) {
      // The planted IRQ ran on vCPU 1 inside the spike: it must be named, with the rule that moves it off.
      expect(c, `${why.summary}\n${why.events.slice(-20).join("\n")}`).toBeDefined();
      expect(c!.ruleId).toBe("os.irq-affinity");
      expect(c!.remedy).toContain(`/proc/irq/${irq}/smp_affinity_list`);
    } else {
      // Seen in CI under TCG: the break (4.7 ms) came from the emulator not running the vCPU, with no ttyS0
      // handler in that window. Then the answer must not blame the IRQ, and must say the rest is not in the trace.
      expect(c).toBeUndefined();
      expect(why.summary).toMatch(/the rest is not in this CPU's trace .*platform\.smi|→ os\./);
    }
  });
});
