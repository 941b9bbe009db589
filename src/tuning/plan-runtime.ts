/**
 * Run-time settings: what host-setup1.sh / guest-setup1.sh did (with their bugs fixed) plus what tuned's
 * realtime-virtual-host/guest profiles add. Each item is a plain write or an action, with a `why`.
 */
import { formatCpuList, formatCpuMask } from "../host/parse/cpulist.js";
import { vendorOf } from "./plan-cmdline.js";
import type { Hugepages, Role, RuntimeItem, WriteItem } from "./plan-types.js";

export const HUGETLBFS_MOUNT = "/mnt/hugetlbfs-1g";

function sysctl(name: string, value: string, why: string): WriteItem {
  return { kind: "write", path: `/proc/sys/${name.replace(/\./g, "/")}`, value, compare: "int", why };
}

export function sysctlFile(items: readonly RuntimeItem[]): string {
  const lines = ["# Written by kvm4nfv apply: the run-time settings again at every boot (sysctl.d)."];
  for (const i of items) {
    if (i.kind === "write" && i.path.startsWith("/proc/sys/")) {
      lines.push(`${i.path.slice("/proc/sys/".length).replace(/\//g, ".")} = ${i.value}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function runtimeItems(args: {
  role: Role;
  vendor: string | null;
  isolated: number[];
  housekeeping: number[];
  hugepages: Hugepages | null;
}): RuntimeItem[] {
  const { role, isolated, housekeeping, hugepages } = args;
  const hk = formatCpuList(housekeeping);
  const items: RuntimeItem[] = [
    sysctl(
      "kernel.watchdog",
      "0",
      "host-setup1.sh/guest-setup1.sh: disable the watchdogs to reduce overhead",
    ),
    sysctl(
      "kernel.nmi_watchdog",
      "0",
      "host-setup1.sh: the NMI watchdog fires periodic NMIs on every CPU, isolated ones included",
    ),
    sysctl(
      "kernel.sched_rt_runtime_us",
      "-1",
      "seeds §2.2.2 Disable the RT throttling. Only the runtime: host-setup1.sh also wrote -1 to " +
        "sched_rt_period_us, which the kernel rejects (EINVAL)",
    ),
    sysctl(
      "kernel.timer_migration",
      "0",
      "guest-setup1.sh and tuned realtime: timers stay on the CPU that armed them",
    ),
    sysctl("vm.stat_interval", "10", "tuned realtime: vmstat updates every 10 s instead of every second"),
  ];
  items.push({
    kind: "file",
    path: "/etc/sysctl.d/90-kvm4nfv.conf",
    content: sysctlFile(items),
    why: "the same sysctls at every boot",
  });
  items.push(
    {
      kind: "write",
      path: "/proc/irq/*/smp_affinity_list",
      value: hk,
      compare: "cpulist",
      // EIO: managed IRQs (documented). EPERM: what a 6.18 kernel answered root for a virtio MSI-X queue IRQ on
      // the development VM. Either way the kernel keeps that IRQ where it is; isolcpus=managed_irq covers it.
      tolerate: ["EIO", "EPERM"],
      why:
        "seeds §2.2.2 IRQ affinity: every IRQ to housekeeping CPUs (host-setup1.sh sent them to CPU 0 only). " +
        "Managed IRQs answer EIO (or EPERM): the kernel keeps them, and isolcpus=managed_irq keeps them off isolated CPUs",
    },
    {
      kind: "write",
      path: "/proc/irq/default_smp_affinity",
      value: formatCpuMask(housekeeping),
      compare: "cpumask",
      why: "seeds §2.2.2 IRQ affinity: IRQs registered later start on housekeeping CPUs too",
    },
    {
      kind: "keys",
      path: "/etc/default/irqbalance",
      keys: { IRQBALANCE_BANNED_CPULIST: formatCpuList(isolated) },
      why: "seeds §2.2.2 (irqbalance) and tuned realtime (banned CPUs): irqbalance keeps running for housekeeping CPUs but never moves an IRQ onto an isolated one",
    },
    {
      kind: "service",
      name: "irqbalance",
      action: "restart",
      why: "irqbalance reads its banned CPUs only at start",
    },
    {
      kind: "write",
      path: "/sys/devices/virtual/workqueue/cpumask",
      value: formatCpuMask(housekeeping),
      compare: "cpumask",
      why: "tuned realtime: unbound workqueues run on housekeeping CPUs only",
    },
    {
      kind: "write",
      path: "/sys/bus/workqueue/devices/writeback/cpumask",
      value: formatCpuMask(housekeeping),
      compare: "cpumask",
      why: "tuned realtime: writeback work on housekeeping CPUs only",
    },
    {
      kind: "write",
      path: "/sys/kernel/mm/transparent_hugepage/enabled",
      value: "never",
      compare: "selected",
      why: "PerformanceProfile: THP compaction and khugepaged scanning add latency; the guest uses explicit hugepages",
    },
    {
      kind: "write",
      path: "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor",
      value: "performance",
      compare: "text",
      why: "seeds §2.2.1 Power management (SpeedStep/P-states off) and tuned latency-performance: run at full frequency",
    },
    {
      kind: "write",
      path: "/sys/devices/system/cpu/intel_pstate/no_turbo",
      value: "1",
      compare: "int",
      why: "seeds §2.2.1 Power management: Turbo Boost changes the frequency under load (intel_pstate)",
    },
    {
      kind: "write",
      path: "/sys/devices/system/cpu/cpufreq/boost",
      value: "0",
      compare: "int",
      why: "seeds §2.2.1 Power management: no boost frequencies (acpi-cpufreq / amd-pstate)",
    },
    {
      kind: "sched",
      comm: "ksoftirqd/*",
      policy: "fifo",
      priority: 2,
      why: "tuned realtime-virtual-host/guest: softirqs preempt ordinary tasks (host-setup1.sh's chrt -fp 2)",
    },
    {
      kind: "sched",
      comm: "ktimers/*",
      policy: "fifo",
      priority: 2,
      why: "tuned realtime-virtual-host/guest: timer softirq threads of PREEMPT_RT",
    },
    {
      kind: "sched",
      comm: "rcuc/*",
      policy: "fifo",
      priority: 4,
      why: "tuned realtime-virtual-host/guest (FIFO 4); host-setup1.sh's rcuc loop skipped the last CPU, this takes every one",
    },
    {
      kind: "sched",
      comm: "rcub/*",
      policy: "fifo",
      priority: 4,
      why: "tuned realtime-virtual-host/guest: RCU boost threads above the softirq threads",
    },
  );
  if (role === "host") items.push(...hostOnly(args.vendor, hugepages));
  return items;
}

function hostOnly(vendor: string | null, hugepages: Hugepages | null): RuntimeItem[] {
  const items: RuntimeItem[] = [
    {
      kind: "write",
      path: "/sys/kernel/mm/ksm/run",
      value: "2",
      compare: "int",
      accept: ["0", "2"],
      why: "tuned realtime-virtual-host: stop KSM and unmerge its pages (2); merging scans memory and adds COW faults",
    },
    {
      kind: "write",
      path: "/sys/module/kvm/parameters/nx_huge_pages",
      value: "never",
      compare: "text",
      accept: ["0", "N", "never", "off"],
      why: "tuned realtime-virtual-host (nx_huge_pages=0): no iTLB-multihit splitting of guest huge pages and no recovery thread",
    },
    {
      kind: "write",
      path: "/sys/module/kvm/parameters/halt_poll_ns",
      value: "0",
      compare: "int",
      why:
        "the real-time guest polls itself (idle=poll, seeds' guest line) and never halts; host-side polling for " +
        "halted vCPUs only burns CPU time (the check rule virt.kvm.halt-poll-ns asks for the same)",
    },
  ];
  const v = vendorOf(vendor);
  const modprobe = [
    "# Written by kvm4nfv apply: KVM parameters that are read-only while the module is loaded.",
    "options kvm kvmclock_periodic_sync=0 nx_huge_pages=never",
  ];
  if (v === "intel") modprobe.push("options kvm_intel ple_gap=0");
  items.push({
    kind: "file",
    path: "/etc/modprobe.d/kvm4nfv.conf",
    content: `${modprobe.join("\n")}\n`,
    why:
      "tuned realtime-virtual-host: kvmclock_periodic_sync=0 (no periodic kvmclock updates into the guest) and " +
      "kvm_intel ple_gap=0 (no pause-loop exits for a vCPU that owns its CPU); read-only at run time, so they " +
      "take effect when the module is next loaded",
  });
  if (hugepages !== null) {
    const kb = hugepages.sizeKiB;
    items.push(
      {
        kind: "write",
        path: `/sys/devices/system/node/node${hugepages.node}/hugepages/hugepages-${kb}kB/nr_hugepages`,
        value: String(hugepages.count),
        compare: "min",
        why:
          `seeds host-setup1.sh: reserve the guest's hugepages on node ${hugepages.node}, the real-time node. ` +
          "Written as a number: the script appended strings, so 1 existing page + 2 became 12. At least this many: " +
          "a larger pool (pages other guests use) is left alone",
      },
      {
        kind: "mount",
        fstype: "hugetlbfs",
        target: HUGETLBFS_MOUNT,
        options: `pagesize=${kb >= 1048576 ? `${kb / 1048576}G` : `${kb / 1024}M`}`,
        why: "seeds host-setup1.sh / host-run-qemu.sh: QEMU backs the guest memory with files on this mount",
      },
    );
  }
  return items;
}
