/**
 * The Host model: everything kvm4nfv knows about one machine, read through a HostFs (see read.ts).
 * `null` always means "unknown" (the file was missing or unreadable), never "off" or "empty".
 * CPU sets are arrays of CPU numbers here; they are formatted as cpulist strings only for output.
 * This shape is also the documented `inspect --json` output (see docs/inspect-json.md), with CPU sets as cpulists.
 */
import type { SriovInfo } from "./sriov.js";

export interface CpuInfo {
  /**
   * The kernel's ARCH name: "x86", "arm64", "arm", "powerpc", "riscv", "s390", "loongarch", … (from
   * /proc/sys/kernel/arch, else from the shape of /proc/cpuinfo); null when nothing tells.
   */
  arch: string | null;
  vendor: string | null; // "GenuineIntel" | "AuthenticAMD" | …
  modelName: string | null;
  family: number | null;
  model: number | null;
  stepping: number | null;
  microcode: string | null;
  /** Flags of the first online CPU as /proc/cpuinfo lists them. */
  flags: string[];
  features: {
    tscDeadlineTimer: boolean | null;
    constantTsc: boolean | null;
    nonstopTsc: boolean | null;
    /** constant_tsc && nonstop_tsc */
    invariantTsc: boolean | null;
    vmx: boolean | null;
    svm: boolean | null;
    /** ept (Intel) or npt (AMD) */
    secondLevelPaging: boolean | null;
    /** Running under a hypervisor (cpuinfo "hypervisor" flag). */
    hypervisor: boolean | null;
    /** kvm_intel enable_apicv / kvm_amd avic as Y/N, when the module is loaded. */
    apicv: boolean | null;
    /** kvm_intel posted interrupts are tied to APICv; null when not visible. */
    postedInterrupts: boolean | null;
  };
}

export interface CpuTopologyEntry {
  cpu: number;
  online: boolean;
  /**
   * physical_package_id; where the kernel says -1 (POWER, some RISC-V) the ordinal of the CPU's package
   * (package_cpus / core_siblings group), as lscpu numbers them
   */
  socket: number | null;
  /** core_id, as the kernel prints it: NOT unique within a socket (it repeats per die and per cluster) */
  core: number | null;
  /** NUMA node, from /sys/devices/system/node/nodeN/cpuX or cpulist */
  node: number | null;
  /** The CPU's core: core_cpus_list (else thread_siblings_list), including itself. One core = one such group. */
  siblings: number[];
}

export interface NumaNode {
  id: number;
  /** nodeN/cpulist, else nodeN/cpumap, else the cpuM/nodeN links; [] = a CPU-less node; null = unknown */
  cpus: number[] | null;
  memTotalKiB: number | null;
  memFreeKiB: number | null;
  /** hugepages reserved on this node, by page size in KiB */
  hugepages: Record<string, { total: number; free: number }>;
}

export interface Topology {
  cpus: CpuTopologyEntry[];
  online: number[];
  possible: number[];
  /** distinct packages of online CPUs (package_cpus / core_siblings groups, else physical_package_id), as lscpu */
  sockets: number;
  /** physical cores in total (all sockets): distinct sibling groups of online CPUs, as lscpu counts them */
  cores: number;
  threadsPerCore: number;
  /** [] when unknown (a snapshot without /sys/devices/system/node); one node 0 on a kernel without NUMA */
  numaNodes: NumaNode[];
  /** /sys/devices/system/cpu/smt/control: on|off|forceoff|notsupported|notimplemented */
  smtControl: string | null;
  smtActive: boolean | null;
}

export type KernelConfigValue = "y" | "m" | "n" | string;

export interface KernelInfo {
  release: string | null;
  /** /proc/version */
  version: string | null;
  /** raw /proc/cmdline */
  cmdline: string | null;
  /** cmdline parsed: key → value ("" for a bare flag); a repeated key keeps the last value (as the kernel does). */
  params: Record<string, string>;
  /** PREEMPT_RT: from /sys/kernel/realtime, the version string, or the config; null if nothing tells. */
  realtime: boolean | null;
  /** Where the config was read: "/boot/config-RELEASE" | "/proc/config.gz" | null */
  configSource: string | null;
  /** Relevant options (CONFIG_ prefix kept); a missing option in a present config is "n". */
  config: Record<string, KernelConfigValue>;
  /** GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT from /etc/default/grub */
  grub: { cmdlineLinux: string | null; cmdlineLinuxDefault: string | null } | null;
}

export interface IrqInfo {
  irq: number;
  /** smp_affinity_list */
  affinity: number[] | null;
  /** effective_affinity_list */
  effective: number[] | null;
  /** action names from /proc/interrupts (e.g. "virtio0-input.0"), when known */
  actions: string | null;
}

export interface PciNetDevice {
  iface: string;
  pciAddress: string | null;
  driver: string | null;
  numaNode: number | null;
  sriovTotalVfs: number | null;
  sriovNumVfs: number | null;
}

export interface RuntimeInfo {
  isolated: number[] | null; // /sys/devices/system/cpu/isolated
  nohzFull: number[] | null; // /sys/devices/system/cpu/nohz_full
  clocksource: { current: string | null; available: string[] };
  cpuidle: { driver: string | null; governor: string | null };
  cpufreq: {
    driver: string | null;
    /** governor per CPU (CPUs without cpufreq are absent) */
    governors: Record<string, string>;
    /** intel_pstate/amd_pstate "status" (active|passive|off|guided) */
    pstateStatus: string | null;
    /** true when turbo/boost is enabled */
    turbo: boolean | null;
  };
  hugepages: {
    /** by page size in KiB, system-wide */
    bySize: Record<string, { total: number; free: number }>;
    defaultSizeKiB: number | null;
  };
  /** transparent_hugepage enabled/defrag: the selected value ("never" from "always madvise [never]") */
  thp: { enabled: string | null; defrag: string | null };
  /** /sys/kernel/mm/ksm/run: 0|1|2 */
  ksmRun: number | null;
  sysctl: {
    "kernel.watchdog": string | null;
    "kernel.nmi_watchdog": string | null;
    "kernel.sched_rt_runtime_us": string | null;
    "kernel.sched_rt_period_us": string | null;
    "kernel.timer_migration": string | null;
    "vm.stat_interval": string | null;
  };
  /** null when processes cannot be listed (no /proc/<pid>/comm in a snapshot) */
  irqbalanceRunning: boolean | null;
  /** IRQBALANCE_BANNED_CPULIST / IRQBALANCE_BANNED_CPUS from /etc/default/irqbalance, as CPUs */
  irqbalanceBanned: number[] | null;
  irqs: IrqInfo[];
  /** /proc/irq/default_smp_affinity */
  defaultIrqAffinity: number[] | null;
  workqueue: {
    /** /sys/devices/virtual/workqueue/cpumask */
    cpumask: number[] | null;
    /** writeback workqueue cpumask */
    writebackCpumask: number[] | null;
  };
  kvm: {
    /** which module is loaded: kvm_intel | kvm_amd | null */
    vendorModule: string | null;
    /** /sys/module/kvm/parameters/* and /sys/module/kvm_{intel,amd}/parameters/* we care about */
    params: Record<string, string>;
    devKvm: boolean | null;
  };
  /** groups: entries of /sys/kernel/iommu_groups; null when the directory is absent (unknown, not 0) */
  iommu: { groups: number | null; dmarOrIvrs: boolean | null };
  net: PciNetDevice[];
}

export interface Host {
  /** SR-IOV PFs, VFs, IOMMU groups (src/host/sriov.ts); absent when not read */
  sriov?: SriovInfo;
  /** "/" or the snapshot directory */
  source: string;
  hostname: string | null;
  cpu: CpuInfo;
  topology: Topology;
  kernel: KernelInfo;
  runtime: RuntimeInfo;
}
