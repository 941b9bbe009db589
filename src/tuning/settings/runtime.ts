/**
 * The run-time half of the catalogue: what host-setup1.sh / guest-setup1.sh did (with their bugs fixed) plus what
 * tuned's realtime-virtual-host/guest profiles add, in the order `plan` lists them. Each entry is data; the audit
 * (`check`), the plan items and apply's verification are all derived from it (derive.ts, audit.ts).
 */
import { formatCpuList, formatCpuMask } from "../../host/parse/cpulist.js";
import { nodeHugepages, PATHS, sysctlPath } from "../../host/paths.js";
import { cmdlineRemedy, SRC, sysctlRemedy } from "../rules/helpers.js";
import type { Profile, Setting, SettingRule } from "./types.js";

export const HUGETLBFS_MOUNT = PATHS.hugetlbfsMount;

const BOTH = ["host", "guest"] as const;
const HOST = ["host"] as const;

/** A sysctl: target is its /proc/sys file, compared as a number, remedied with sysctl -w and a sysctl.d line. */
function sysctl(
  name: string,
  value: string,
  why: string,
  extra: Partial<Omit<Setting, "rule">> & { rule?: Omit<SettingRule, "current"> },
): Setting {
  const { rule, ...rest } = extra;
  return {
    key: `sysctl.${name}`,
    kind: "sysctl",
    target: sysctlPath(name),
    roles: BOTH,
    desired: () => value,
    compare: "int",
    level: "fail",
    reboot: false,
    why,
    remedy: (_p, d) => sysctlRemedy(name, d),
    ...rest,
    ...(rule === undefined
      ? {}
      : {
          rule: {
            expected: (_p, d) => `${name} = ${d}`,
            ...rule,
            current: (h) => h.runtime.sysctl[name as keyof typeof h.runtime.sysctl] ?? null,
          },
        }),
  };
}

/** The sysctl name of a sysctl setting's target (for the sysctl.d file). */
export function sysctlName(s: Setting): string {
  return s.target.slice("/proc/sys/".length).replaceAll("/", ".");
}

const hk = (p: Profile) => formatCpuList(p.housekeeping);
const hkMask = (p: Profile) => formatCpuMask(p.housekeeping);
const echo = (target: string) => (_p: Profile, d: string) => `echo ${d} > ${target}`;

export const SYSCTLS: readonly Setting[] = [
  sysctl("kernel.watchdog", "0", "host-setup1.sh/guest-setup1.sh: disable the watchdogs to reduce overhead", {
    rule: {
      id: "os.watchdog",
      title: "Soft/hard lockup watchdog off (kernel.watchdog=0)",
      source: `${SRC.original}; ${SRC.tuned}`,
      expected: () => "kernel.watchdog = 0 (or nowatchdog on the cmdline)",
      orParam: { key: "nowatchdog" },
    },
  }),
  sysctl(
    "kernel.nmi_watchdog",
    "0",
    "host-setup1.sh: the NMI watchdog fires periodic NMIs on every CPU, isolated ones included",
    {
      rule: {
        id: "os.watchdog.nmi",
        title: "NMI watchdog off (kernel.nmi_watchdog=0)",
        source: `${SRC.original}; ${SRC.tuned}`,
        expected: () => "kernel.nmi_watchdog = 0 (or nmi_watchdog=0 on the cmdline)",
        orParam: { key: "nmi_watchdog", value: "0", shown: true },
      },
    },
  ),
  sysctl(
    "kernel.sched_rt_runtime_us",
    "-1",
    "KVM4NFV §2.2.2 Disable the RT throttling. Only the runtime: host-setup1.sh also wrote -1 to " +
      "sched_rt_period_us, which the kernel rejects (EINVAL)",
    {
      rule: {
        id: "os.rt-throttling",
        title: "RT throttling disabled (sched_rt_runtime_us=-1)",
        source: `${SRC.os("Disable the RT throttling")}; ${SRC.original}`,
      },
    },
  ),
  sysctl(
    "kernel.timer_migration",
    "0",
    "guest-setup1.sh and tuned realtime: timers stay on the CPU that armed them",
    {
      level: "warn",
      rule: {
        id: "os.timer-migration",
        title: "Timer migration off (kernel.timer_migration=0)",
        source: `${SRC.tuned}; kvm4nfv-original: guest-setup1.sh`,
      },
    },
  ),
  sysctl("vm.stat_interval", "10", "tuned realtime: vmstat updates every 10 s instead of every second", {
    level: "warn",
    rule: {
      id: "os.vmstat.stat-interval",
      title: "vmstat updates every 10 s or less often (vm.stat_interval>=10)",
      source: SRC.tuned,
      expected: (_p, d) => `vm.stat_interval >= ${d}`,
      auditCompare: "min",
    },
  }),
];

/** /etc/sysctl.d/90-kvm4nfv.conf: the catalogue's sysctls again at every boot. */
export function sysctlFile(values: readonly { name: string; value: string }[]): string {
  const lines = ["# Written by kvm4nfv apply: the run-time settings again at every boot (sysctl.d)."];
  for (const v of values) lines.push(`${v.name} = ${v.value}`);
  return `${lines.join("\n")}\n`;
}

const sysctlConf: Setting = {
  key: "file.sysctl-conf",
  kind: "config-file",
  target: PATHS.sysctlConf,
  roles: BOTH,
  desired: (p) =>
    sysctlFile(
      SYSCTLS.filter((s) => s.roles.includes(p.role)).flatMap((s) => {
        const d = s.desired(p);
        return d === null ? [] : [{ name: sysctlName(s), value: d }];
      }),
    ),
  compare: "text",
  level: "warn",
  reboot: false,
  why: "the same sysctls at every boot",
  remedy: () => "kvm4nfv apply writes it (the sysctls again at every boot)",
  auditedBy: "check --against PLAN.json (the file's content against the plan's)",
};

const irqAffinity: Setting = {
  key: "irq.affinity",
  kind: "irq-affinity",
  target: PATHS.irqAffinityList,
  roles: BOTH,
  desired: hk,
  compare: "cpulist",
  // EIO: managed IRQs (documented). EPERM: what a 6.18 kernel answered root for a virtio MSI-X queue IRQ on
  // the development VM. Either way the kernel keeps that IRQ where it is; isolcpus=managed_irq covers it.
  tolerate: ["EIO", "EPERM"],
  level: "fail",
  reboot: false,
  why:
    "KVM4NFV §2.2.2 IRQ affinity: every IRQ to housekeeping CPUs (host-setup1.sh sent them to CPU 0 only). " +
    "Managed IRQs answer EIO (or EPERM): the kernel keeps them, and isolcpus=managed_irq keeps them off isolated CPUs",
  remedy: (_p, d) =>
    `for i in /proc/irq/[0-9]*; do echo ${d} > $i/smp_affinity_list; done; persist with irqaffinity=${d} on the cmdline`,
  auditedBy: "os.irq-affinity (rules/os-memory-irq.ts: one finding names every IRQ that reaches an RT CPU)",
};

const irqDefault: Setting = {
  key: "irq.default-affinity",
  kind: "procfs",
  target: PATHS.irqDefaultAffinity,
  roles: BOTH,
  desired: hkMask,
  compare: "cpumask",
  level: "fail",
  reboot: false,
  why: "KVM4NFV §2.2.2 IRQ affinity: IRQs registered later start on housekeeping CPUs too",
  remedy: (p, d) =>
    `echo ${d} > ${PATHS.irqDefaultAffinity}; persist with irqaffinity=${hk(p)} on the cmdline`,
  auditedBy: "os.irq-affinity.default (rules/os-memory-irq.ts: passes any mask within the housekeeping CPUs)",
};

const irqbalanceBanned: Setting = {
  key: "irqbalance.banned",
  kind: "config-file",
  target: PATHS.irqbalanceDefaults,
  configKey: "IRQBALANCE_BANNED_CPULIST",
  roles: BOTH,
  desired: (p) => formatCpuList(p.isolated),
  compare: "cpulist",
  level: "fail",
  reboot: false,
  why: "KVM4NFV §2.2.2 (irqbalance) and tuned realtime (banned CPUs): irqbalance keeps running for housekeeping CPUs but never moves an IRQ onto an isolated one",
  remedy: (_p, d) =>
    `set IRQBALANCE_BANNED_CPULIST=${d} in ${PATHS.irqbalanceDefaults} and restart irqbalance (or systemctl disable --now irqbalance)`,
  auditedBy:
    "os.irq-affinity.irqbalance (rules/os-memory-irq.ts: irqbalance stopped, or banned from the RT CPUs)",
};

const irqbalanceRestart: Setting = {
  key: "service.irqbalance",
  kind: "service",
  target: "irqbalance",
  roles: BOTH,
  desired: () => "restart",
  compare: "text",
  level: "warn",
  reboot: false,
  why: "irqbalance reads its banned CPUs only at start",
  remedy: () => "systemctl restart irqbalance",
  auditedBy: "os.irq-affinity.irqbalance",
};

const workqueue: Setting = {
  key: "workqueue.cpumask",
  kind: "sysfs",
  target: PATHS.workqueueCpumask,
  roles: BOTH,
  desired: hkMask,
  compare: "cpumask",
  level: "warn",
  reboot: false,
  why: "tuned realtime: unbound workqueues run on housekeeping CPUs only",
  remedy: echo(PATHS.workqueueCpumask),
  auditedBy: "os.workqueue.cpumask (rules/isolation.ts)",
};

const writeback: Setting = {
  key: "workqueue.writeback-cpumask",
  kind: "sysfs",
  target: PATHS.writebackCpumask,
  roles: BOTH,
  desired: hkMask,
  compare: "cpumask",
  level: "warn",
  reboot: false,
  why: "tuned realtime: writeback work on housekeeping CPUs only",
  remedy: echo(PATHS.writebackCpumask),
  auditedBy: "os.workqueue.cpumask (rules/isolation.ts)",
};

const thp: Setting = {
  key: "mm.thp",
  kind: "sysfs",
  target: PATHS.thpEnabled,
  roles: BOTH,
  desired: () => "never",
  compare: "selected",
  level: "warn",
  reboot: false,
  why: "PerformanceProfile: THP compaction and khugepaged scanning add latency; the guest uses explicit hugepages",
  remedy: (p, d) =>
    `echo ${d} > ${PATHS.thpEnabled}; persist with ${cmdlineRemedy(`transparent_hugepage=${d}`, p.role)}`,
  rule: {
    id: "os.thp",
    title: "Transparent hugepages not always on (no khugepaged compaction on RT CPUs)",
    source: "tuning-anchors: PerformanceProfile (THP never)",
    current: (h) => h.runtime.thp.enabled,
    alsoGood: ["madvise"],
    moreEvidence: (h) => `; defrag: ${h.runtime.thp.defrag ?? "missing"}`,
    expected: () => "transparent_hugepage never (or madvise)",
  },
};

const governor: Setting = {
  key: "cpufreq.governor",
  kind: "sysfs",
  target: PATHS.scalingGovernor,
  roles: BOTH,
  desired: () => "performance",
  compare: "text",
  level: "warn",
  reboot: false,
  why: "KVM4NFV §2.2.1 Power management (SpeedStep/P-states off) and tuned latency-performance: run at full frequency",
  remedy: (_p, d) => `for g in ${PATHS.scalingGovernor}; do echo ${d} > $g; done`,
  auditedBy: "platform.power-management.pstates (rules/platform.ts)",
};

const noTurbo: Setting = {
  key: "cpufreq.intel-no-turbo",
  kind: "sysfs",
  target: PATHS.intelNoTurbo,
  roles: BOTH,
  desired: () => "1",
  compare: "int",
  level: "warn",
  reboot: false,
  why: "KVM4NFV §2.2.1 Power management: Turbo Boost changes the frequency under load (intel_pstate)",
  remedy: echo(PATHS.intelNoTurbo),
  auditedBy: "platform.power-management.turbo (rules/platform.ts)",
};

const boost: Setting = {
  key: "cpufreq.boost",
  kind: "sysfs",
  target: PATHS.cpufreqBoost,
  roles: BOTH,
  desired: () => "0",
  compare: "int",
  level: "warn",
  reboot: false,
  why: "KVM4NFV §2.2.1 Power management: no boost frequencies (acpi-cpufreq / amd-pstate)",
  remedy: echo(PATHS.cpufreqBoost),
  auditedBy: "platform.power-management.turbo (rules/platform.ts)",
};

function kthread(comm: string, priority: number, why: string): Setting {
  return {
    key: `kthread.${comm.replace("/*", "")}`,
    kind: "kthread",
    target: comm,
    roles: BOTH,
    desired: () => String(priority),
    compare: "int",
    level: "warn",
    reboot: false,
    why,
    remedy: (_p, d) => `for p in $(pgrep '^${comm.replace("/*", "/")}'); do chrt -f -p ${d} $p; done`,
    auditedBy: "check --against PLAN.json (thread priorities are not in the Host model)",
  };
}

const KTHREADS: readonly Setting[] = [
  kthread(
    "ksoftirqd/*",
    2,
    "tuned realtime-virtual-host/guest: softirqs preempt ordinary tasks (host-setup1.sh's chrt -fp 2)",
  ),
  kthread("ktimers/*", 2, "tuned realtime-virtual-host/guest: timer softirq threads of PREEMPT_RT"),
  kthread(
    "rcuc/*",
    4,
    "tuned realtime-virtual-host/guest (FIFO 4); host-setup1.sh's rcuc loop skipped the last CPU, this takes every one",
  ),
  kthread("rcub/*", 4, "tuned realtime-virtual-host/guest: RCU boost threads above the softirq threads"),
];

const ksm: Setting = {
  key: "mm.ksm",
  kind: "sysfs",
  target: PATHS.ksmRun,
  roles: HOST,
  desired: () => "2",
  compare: "int",
  accept: ["0", "2"],
  level: "fail",
  reboot: false,
  why: "tuned realtime-virtual-host: stop KSM and unmerge its pages (2); merging scans memory and adds COW faults",
  remedy: (_p, d) => `echo ${d} > ${PATHS.ksmRun}; systemctl disable --now ksm ksmtuned`,
  rule: {
    id: "os.ksm",
    title: "KSM page merging off on the host",
    source: SRC.tuned,
    current: (h) => (h.runtime.ksmRun === null ? null : String(h.runtime.ksmRun)),
    missing: "missing (kernel without CONFIG_KSM?)",
    expected: () => `${PATHS.ksmRun} = 0 or 2 (2 also unmerges pages already shared)`,
  },
};

const nxHugePages: Setting = {
  key: "kvm.nx-huge-pages",
  kind: "module-param",
  target: PATHS.kvmNxHugePages,
  roles: HOST,
  desired: () => "never",
  compare: "text",
  accept: ["0", "N", "never", "off"],
  level: "warn",
  reboot: false,
  why: "tuned realtime-virtual-host (nx_huge_pages=0): no iTLB-multihit splitting of guest huge pages and no recovery thread",
  remedy: echo(PATHS.kvmNxHugePages),
  auditedBy: "virt.kvm.nx-huge-pages (rules/cpu-virt.ts)",
};

const haltPoll: Setting = {
  key: "kvm.halt-poll-ns",
  kind: "module-param",
  target: PATHS.kvmHaltPollNs,
  roles: HOST,
  desired: () => "0",
  compare: "int",
  level: "warn",
  reboot: false,
  why:
    "the real-time guest polls itself (idle=poll, KVM4NFV's guest line) and never halts; host-side polling for " +
    "halted vCPUs only burns CPU time (the check rule virt.kvm.halt-poll-ns asks for the same)",
  remedy: echo(PATHS.kvmHaltPollNs),
  auditedBy: "virt.kvm.halt-poll-ns (rules/cpu-virt.ts)",
};

const modprobe: Setting = {
  key: "file.modprobe-conf",
  kind: "module-param",
  target: PATHS.modprobeConf,
  roles: HOST,
  desired: (p) => {
    const lines = [
      "# Written by kvm4nfv apply: KVM parameters that are read-only while the module is loaded.",
      "options kvm kvmclock_periodic_sync=0 nx_huge_pages=never",
    ];
    if (p.vendor === "intel") lines.push("options kvm_intel ple_gap=0");
    return `${lines.join("\n")}\n`;
  },
  compare: "text",
  level: "warn",
  reboot: true,
  why:
    "tuned realtime-virtual-host: kvmclock_periodic_sync=0 (no periodic kvmclock updates into the guest) and " +
    "kvm_intel ple_gap=0 (no pause-loop exits for a vCPU that owns its CPU); read-only at run time, so they " +
    "take effect when the module is next loaded",
  remedy: () => "kvm4nfv apply writes it; reload kvm (or reboot) for it to take effect",
  auditedBy: "virt.kvm.kvmclock-periodic-sync and virt.kvm.ple-gap (rules/cpu-virt.ts)",
};

const hugepagePool: Setting = {
  key: "hugepages.node-pool",
  kind: "hugepage-pool",
  target: `${PATHS.nodeHugepagesDir}/hugepages-*kB/nr_hugepages`,
  roles: HOST,
  desired: (p) => (p.hugepages === null ? null : String(p.hugepages.count)),
  path: (p) => nodeHugepages(p.hugepages?.node ?? 0, p.hugepages?.sizeKiB),
  compare: "min",
  level: "fail",
  reboot: false,
  why: (p) =>
    `KVM4NFV host-setup1.sh: reserve the guest's hugepages on node ${p.hugepages?.node}, the real-time node. ` +
    "Written as a number: the script appended strings, so 1 existing page + 2 became 12. At least this many: " +
    "a larger pool (pages other guests use) is left alone",
  remedy: (p, d) =>
    `echo ${d} > ${p.hugepages === null ? "nr_hugepages" : nodeHugepages(p.hugepages.node, p.hugepages.sizeKiB)}`,
  auditedBy: "os.hugepages.numa-node (rules/os-memory-irq.ts)",
};

const hugetlbfs: Setting = {
  key: "mount.hugetlbfs",
  kind: "mount",
  target: HUGETLBFS_MOUNT,
  roles: HOST,
  desired: (p) => {
    if (p.hugepages === null) return null;
    const kb = p.hugepages.sizeKiB;
    return `pagesize=${kb >= 1048576 ? `${kb / 1048576}G` : `${kb / 1024}M`}`;
  },
  compare: "text",
  level: "warn",
  reboot: false,
  why: "KVM4NFV host-setup1.sh / host-run-qemu.sh: QEMU backs the guest memory with files on this mount",
  remedy: (_p, d) => `mkdir -p ${HUGETLBFS_MOUNT}; mount -t hugetlbfs -o ${d} none ${HUGETLBFS_MOUNT}`,
  auditedBy: "check --against PLAN.json (mounts are not in the Host model)",
};

const clocksource: Setting = {
  key: "clocksource.current",
  kind: "sysfs",
  target: PATHS.clocksource,
  roles: BOTH,
  // Not planned: the kernel picks the TSC itself once tsc=reliable is on the cmdline; the audit checks it.
  desired: () => null,
  compare: "text",
  level: "fail",
  reboot: false,
  why: "KVM4NFV §2.2.2 TSC: the TSC is the cheapest and steadiest clocksource (kvm-clock in a VM)",
  remedy: (p) =>
    `echo tsc > ${PATHS.clocksource}; persist with ${cmdlineRemedy("clocksource=tsc tsc=reliable", p.role)}`,
  auditedBy: "os.tsc.clocksource (rules/os-runtime.ts: tsc, or kvm-clock inside a VM)",
};

/** Every run-time setting, in the order plan lists them (host-only ones last). */
export const RUNTIME_SETTINGS: readonly Setting[] = [
  ...SYSCTLS,
  sysctlConf,
  irqAffinity,
  irqDefault,
  irqbalanceBanned,
  irqbalanceRestart,
  workqueue,
  writeback,
  thp,
  governor,
  noTurbo,
  boost,
  ...KTHREADS,
  ksm,
  nxHugePages,
  haltPoll,
  modprobe,
  hugepagePool,
  hugetlbfs,
  clocksource,
];
