/**
 * The kernel and configuration files kvm4nfv both reads and tunes, named once. The Host reader (read-runtime.ts)
 * reads them, the settings catalogue (src/tuning/settings/) writes and verifies them, and the rules quote them as
 * evidence; test/tuning/settings/catalogue.test.ts proves no other file in src/ spells one of them again.
 * A `*` segment stands for a number (every IRQ, every CPU) and is expanded where the files are read or written.
 */

/** sysctl name → its /proc/sys file ("kernel.watchdog" → "/proc/sys/kernel/watchdog"). */
export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replaceAll(".", "/")}`;
}

export const PATHS = {
  irqAffinityList: "/proc/irq/*/smp_affinity_list",
  irqDefaultAffinity: "/proc/irq/default_smp_affinity",
  workqueueCpumask: "/sys/devices/virtual/workqueue/cpumask",
  writebackCpumask: "/sys/bus/workqueue/devices/writeback/cpumask",
  thpEnabled: "/sys/kernel/mm/transparent_hugepage/enabled",
  ksmRun: "/sys/kernel/mm/ksm/run",
  scalingGovernor: "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor",
  intelNoTurbo: "/sys/devices/system/cpu/intel_pstate/no_turbo",
  cpufreqBoost: "/sys/devices/system/cpu/cpufreq/boost",
  kvmNxHugePages: "/sys/module/kvm/parameters/nx_huge_pages",
  kvmHaltPollNs: "/sys/module/kvm/parameters/halt_poll_ns",
  clocksource: "/sys/devices/system/clocksource/clocksource0/current_clocksource",
  irqbalanceDefaults: "/etc/default/irqbalance",
  sysctlConf: "/etc/sysctl.d/90-kvm4nfv.conf",
  modprobeConf: "/etc/modprobe.d/kvm4nfv.conf",
  /** where apply mounts hugetlbfs for the guest's memory (QEMU -mem-path) */
  hugetlbfsMount: "/mnt/hugetlbfs-1g",
  /** the per-node pool: node and size filled in (nodeHugepages) */
  nodeHugepagesDir: "/sys/devices/system/node/node*/hugepages",
} as const;

/** /sys/devices/system/node/nodeN/hugepages, or one pool's nr_hugepages under it. */
export function nodeHugepages(node: number, sizeKiB?: number): string {
  const dir = PATHS.nodeHugepagesDir.replace("*", String(node));
  return sizeKiB === undefined ? dir : `${dir}/hugepages-${sizeKiB}kB/nr_hugepages`;
}

/** One CPU's file under a per-CPU pattern: cpuFile(PATHS.scalingGovernor, 3). */
export function perNumber(pattern: string, n: number | string): string {
  return pattern.replace("*", String(n));
}
