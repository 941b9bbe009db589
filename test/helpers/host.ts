/**
 * The one Host builder for tests (no test writes a Host literal of its own).
 *
 * buildHost / buildVm / withCmdline: a full default Host for rule tests: the seeds' baseline platform (2× Xeon E5-2699 v3, 36 CPUs, HT off,
 * nodes 0-17/18-35) fully tuned for RT CPUs 20-35 — every rule passes on it. Each test overrides the one thing
 * it breaks. Objects merge deeply; arrays and scalars replace.
 */
import type { CpuInfo, CpuTopologyEntry, Host, IrqInfo, PciNetDevice } from "../../src/host/model.js";

export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

export const ALL = range(0, 35);
export const RT = range(20, 35);
export const HK = range(0, 19);

const FLAGS =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe " +
  "syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon nonstop_tsc aperfmperf pni vmx smx est tm2 ssse3 fma cx16 x2apic " +
  "tsc_deadline_timer aes xsave avx rdrand lahf_lm abm arat epb tpr_shadow vnmi flexpriority ept vpid tsc_adjust bmi1 avx2";

/**
 * The baseline platform's CPU as its /proc/cpuinfo names it (test/fixtures/snapshots/baseline-*; test/host/read.test.ts
 * proves the snapshot reads as exactly this).
 */
export const XEON_E5_2699_V3: Omit<CpuInfo, "flags" | "features"> = {
  arch: "x86",
  vendor: "GenuineIntel",
  modelName: "Intel(R) Xeon(R) CPU E5-2699 v3 @ 2.30GHz",
  family: 6,
  model: 63,
  stepping: 2,
  microcode: "0x2d",
};

/** Its latency-relevant features, as read from the baseline snapshot. */
export const XEON_E5_2699_V3_FEATURES: CpuInfo["features"] = {
  tscDeadlineTimer: true,
  constantTsc: true,
  nonstopTsc: true,
  invariantTsc: true,
  vmx: true,
  svm: false,
  secondLevelPaging: true,
  hypervisor: false,
  apicv: true,
  postedInterrupts: true,
};

/** The sysctls kvm4nfv reads, as the tuned baseline has them (test/fixtures/snapshots/baseline-tuned). */
export const TUNED_SYSCTLS: Host["runtime"]["sysctl"] = {
  "kernel.watchdog": "0",
  "kernel.nmi_watchdog": "0",
  "kernel.sched_rt_runtime_us": "-1",
  "kernel.sched_rt_period_us": "1000000",
  "kernel.timer_migration": "0",
  "vm.stat_interval": "10",
};

/** One port of the baseline's Intel 82599 (ixgbe, 63 VFs possible, NUMA node 1). */
export function ixgbePort(iface: string, pciAddress: string, sriovNumVfs = 0): PciNetDevice {
  return { iface, pciAddress, driver: "ixgbe", numaNode: 1, sriovTotalVfs: 63, sriovNumVfs };
}

function topologyEntry(cpu: number): CpuTopologyEntry {
  return {
    cpu,
    online: true,
    socket: cpu < 18 ? 0 : 1,
    core: cpu % 18,
    node: cpu < 18 ? 0 : 1,
    siblings: [cpu],
  };
}

export function irq(
  n: number,
  affinity: number[] | null,
  effective: number[] | null = affinity,
  actions = `dev${n}`,
): IrqInfo {
  return { irq: n, affinity, effective, actions };
}

function defaultHost(): Host {
  const iso = "20-35";
  const params: Record<string, string> = {
    BOOT_IMAGE: "/vmlinuz-6.1.0-rt",
    isolcpus: iso,
    nohz_full: iso,
    rcu_nocbs: iso,
    iommu: "pt",
    intel_iommu: "on",
    default_hugepagesz: "1G",
    hugepagesz: "1G",
    hugepages: "8",
    "processor.max_cstate": "1",
    "intel_idle.max_cstate": "0",
    idle: "poll",
    tsc: "reliable",
    mce: "off",
  };
  const cmdline = Object.entries(params)
    .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
    .join(" ");
  return {
    source: "/",
    hostname: "otcnfv02",
    cpu: { ...XEON_E5_2699_V3, flags: FLAGS.split(" "), features: { ...XEON_E5_2699_V3_FEATURES } },
    topology: {
      cpus: ALL.map(topologyEntry),
      online: ALL,
      possible: ALL,
      sockets: 2,
      cores: 36,
      threadsPerCore: 1,
      numaNodes: [0, 1].map((id) => ({
        id,
        cpus: id === 0 ? range(0, 17) : range(18, 35),
        memTotalKiB: 65_000_000,
        memFreeKiB: 50_000_000,
        hugepages: { "2048": { total: 0, free: 0 }, "1048576": { total: 4, free: 4 } },
      })),
      smtControl: "notsupported",
      smtActive: false,
    },
    kernel: {
      release: "6.1.0-rt",
      version: "Linux version 6.1.0-rt #1 SMP PREEMPT_RT",
      cmdline,
      params,
      realtime: true,
      configSource: "/boot/config-6.1.0-rt",
      config: {
        CONFIG_PREEMPT_RT: "y",
        CONFIG_NO_HZ_FULL: "y",
        CONFIG_RCU_NOCB_CPU: "y",
        CONFIG_CPU_ISOLATION: "y",
        CONFIG_HIGH_RES_TIMERS: "y",
        CONFIG_HZ: "1000",
      },
      grub: { cmdlineLinux: cmdline, cmdlineLinuxDefault: "" },
    },
    runtime: {
      isolated: RT,
      nohzFull: RT,
      clocksource: { current: "tsc", available: ["tsc", "hpet", "acpi_pm"] },
      cpuidle: { driver: "acpi_idle", governor: "menu" },
      cpufreq: {
        driver: "acpi-cpufreq",
        governors: Object.fromEntries(ALL.map((c) => [String(c), "performance"])),
        pstateStatus: null,
        turbo: false,
      },
      hugepages: {
        bySize: { "2048": { total: 0, free: 0 }, "1048576": { total: 8, free: 8 } },
        defaultSizeKiB: 1048576,
      },
      thp: { enabled: "never", defrag: "never" },
      ksmRun: 0,
      sysctl: { ...TUNED_SYSCTLS },
      irqbalanceRunning: false,
      irqbalanceBanned: null,
      irqs: [irq(0, [0]), irq(8, HK, [3]), irq(24, HK, [5], "eth0-TxRx-0")],
      defaultIrqAffinity: HK,
      workqueue: { cpumask: HK, writebackCpumask: HK },
      kvm: {
        vendorModule: "kvm_intel",
        params: {
          "kvm.kvmclock_periodic_sync": "N",
          "kvm.nx_huge_pages": "N",
          "kvm.halt_poll_ns": "0",
          "kvm_intel.ple_gap": "0",
          "kvm_intel.enable_apicv": "Y",
        },
        devKvm: true,
      },
      iommu: { groups: 60, dmarOrIvrs: true },
      net: [ixgbePort("eth0", "0000:81:00.0")],
    },
  };
}

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return base;
  if (Array.isArray(over) || over === null || typeof over !== "object") return over as T;
  if (base === null || typeof base !== "object" || Array.isArray(base)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    out[k] = merge((base as Record<string, unknown>)[k], v as DeepPartial<unknown>);
  }
  return out as T;
}

/** A tuned bare-metal host, with overrides. */
export function buildHost(over?: DeepPartial<Host>): Host {
  return merge<Host>(defaultHost(), over);
}

/**
 * Replace the cmdline: `params` become both the parsed map and the raw line (a value of undefined drops a key
 * from the default tuned cmdline).
 */
export function withCmdline(host: Host, params: Record<string, string | undefined>): Host {
  const merged: Record<string, string> = { ...host.kernel.params };
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  const cmdline = Object.entries(merged)
    .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
    .join(" ");
  return { ...host, kernel: { ...host.kernel, params: merged, cmdline } };
}

/** A minimal untuned 2-vCPU KVM guest / dev VM (AMD EPYC, hypervisor flag). */
export function buildVm(over?: DeepPartial<Host>): Host {
  const base = buildHost({
    cpu: {
      vendor: "AuthenticAMD",
      modelName: "AMD EPYC",
      flags: ["fpu", "tsc", "constant_tsc", "nonstop_tsc", "tsc_deadline_timer", "hypervisor", "pdpe1gb"],
      features: {
        vmx: false,
        svm: false,
        secondLevelPaging: false,
        hypervisor: true,
        apicv: null,
        postedInterrupts: null,
      },
    },
    topology: {
      cpus: [0, 1].map((cpu) => ({ cpu, online: true, socket: 0, core: cpu, node: 0, siblings: [cpu] })),
      online: [0, 1],
      possible: [0, 1],
      sockets: 1,
      cores: 2,
      numaNodes: [
        {
          id: 0,
          cpus: [0, 1],
          memTotalKiB: 4_000_000,
          memFreeKiB: 3_000_000,
          hugepages: { "2048": { total: 0, free: 0 } },
        },
      ],
    },
    runtime: {
      isolated: [],
      nohzFull: null,
      clocksource: { current: "kvm-clock", available: ["kvm-clock", "tsc"] },
      cpufreq: { driver: null, governors: {}, pstateStatus: null, turbo: null },
      irqs: [irq(4, [0, 1], [0]), irq(11, [0, 1], [1], "virtio0")],
      defaultIrqAffinity: [0, 1],
      workqueue: { cpumask: [0, 1], writebackCpumask: [0, 1] },
    },
  });
  const untuned = withCmdline(base, {
    isolcpus: undefined,
    nohz_full: undefined,
    rcu_nocbs: undefined,
    iommu: undefined,
    intel_iommu: undefined,
    idle: undefined,
    tsc: undefined,
    mce: undefined,
    "processor.max_cstate": undefined,
    "intel_idle.max_cstate": undefined,
  });
  return merge<Host>(untuned, over);
}

// makeHost / baseline / baselineHt / devVm: untuned Hosts shaped by their topology alone, for plan tests (the plan
// derivation is tested against the Host type, the snapshot reader has its own tests).
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
      ...XEON_E5_2699_V3,
      vendor: shape.vendor ?? XEON_E5_2699_V3.vendor,
      modelName: shape.model ?? XEON_E5_2699_V3.modelName,
      flags: [],
      features: {
        ...XEON_E5_2699_V3_FEATURES,
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
