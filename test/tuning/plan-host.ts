/**
 * Host objects for plan tests, built by hand so the plan derivation is tested against the Host type alone
 * (the snapshot reader has its own tests).
 */
import type { Host } from "../../src/host/model.js";

export interface HostShape {
  vendor?: string;
  model?: string;
  /** node id → CPUs */
  nodes: number[][];
  /** CPU → its core's CPUs; default: every CPU is its own core */
  siblings?: (cpu: number) => number[];
  hypervisor?: boolean;
  cmdline?: string;
}

export function makeHost(shape: HostShape): Host {
  const all = shape.nodes.flat().sort((a, b) => a - b);
  const sib = shape.siblings ?? ((c: number) => [c]);
  const threads = Math.max(...all.map((c) => sib(c).length));
  return {
    source: "/test",
    hostname: "test",
    cpu: {
      arch: "x86",
      vendor: shape.vendor ?? "GenuineIntel",
      modelName: shape.model ?? "Intel(R) Xeon(R) CPU E5-2699 v3 @ 2.30GHz",
      family: 6,
      model: 63,
      stepping: 2,
      microcode: "0x2d",
      flags: [],
      features: {
        tscDeadlineTimer: true,
        constantTsc: true,
        nonstopTsc: true,
        invariantTsc: true,
        vmx: true,
        svm: false,
        secondLevelPaging: true,
        hypervisor: shape.hypervisor ?? false,
        apicv: null,
        postedInterrupts: null,
      },
    },
    topology: {
      cpus: all.map((cpu) => ({
        cpu,
        online: true,
        socket: shape.nodes.findIndex((n) => n.includes(cpu)),
        core: Math.min(...sib(cpu)),
        node: shape.nodes.findIndex((n) => n.includes(cpu)),
        siblings: sib(cpu),
      })),
      online: all,
      possible: all,
      sockets: shape.nodes.length,
      cores: all.length / threads,
      threadsPerCore: threads,
      numaNodes: shape.nodes.map((cpus, id) => ({
        id,
        cpus,
        memTotalKiB: null,
        memFreeKiB: null,
        hugepages: {},
      })),
      smtControl: threads > 1 ? "on" : "notsupported",
      smtActive: threads > 1,
    },
    kernel: {
      release: "6.1.0-rt",
      version: null,
      cmdline: shape.cmdline ?? "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet",
      params: {},
      realtime: true,
      configSource: null,
      config: {},
      grub: null,
    },
    runtime: {
      isolated: [],
      nohzFull: [],
      clocksource: { current: "tsc", available: ["tsc"] },
      cpuidle: { driver: null, governor: null },
      cpufreq: { driver: null, governors: {}, pstateStatus: null, turbo: null },
      hugepages: { bySize: {}, defaultSizeKiB: 2048 },
      thp: { enabled: "always", defrag: "madvise" },
      ksmRun: 0,
      sysctl: {
        "kernel.watchdog": "1",
        "kernel.nmi_watchdog": "1",
        "kernel.sched_rt_runtime_us": "950000",
        "kernel.sched_rt_period_us": "1000000",
        "kernel.timer_migration": "1",
        "vm.stat_interval": "1",
      },
      irqbalanceRunning: null,
      irqbalanceBanned: null,
      irqs: [],
      defaultIrqAffinity: null,
      workqueue: { cpumask: null, writebackCpumask: null },
      kvm: { vendorModule: "kvm_intel", params: {}, devKvm: true },
      iommu: { groups: 0, dmarOrIvrs: null },
      net: [],
    },
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** The seeds' baseline platform: 2× E5-2699 v3, HT off, node0 0-17, node1 18-35. */
export const baseline = (): Host => makeHost({ nodes: [range(0, 17), range(18, 35)] });

/** The same machine with HT on: 72 CPUs, CPU c and c+36 share a core. */
export const baselineHt = (): Host =>
  makeHost({
    nodes: [
      [...range(0, 17), ...range(36, 53)],
      [...range(18, 35), ...range(54, 71)],
    ],
    siblings: (c) => (c < 36 ? [c, c + 36] : [c - 36, c]),
  });

/** The 2-vCPU development VM (AMD, one node). */
export const devVm = (): Host =>
  makeHost({ vendor: "AuthenticAMD", model: "AMD EPYC 7B13", nodes: [[0, 1]], hypervisor: true });

export { range };
