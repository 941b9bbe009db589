/** The run-time half of readHost: what the running kernel is doing now (sysctls, IRQs, power, memory, KVM). */
import type { HostFs } from "./fs.js";
import type { IrqInfo, PciNetDevice, RuntimeInfo, Topology } from "./model.js";
import { irqActions, parseInterrupts } from "./parse/interrupts.js";
import { parseMeminfo } from "./parse/meminfo.js";
import { bool, parseShellVars, selected } from "./parse/sysfs.js";
import { PATHS, perNumber, sysctlPath } from "./paths.js";
import {
  cpuListOrNull,
  cpuMaskOrNull,
  listNumbered,
  readCpuList,
  readCpuMask,
  readHugepages,
  readInt,
  readValue,
} from "./read-util.js";

const CPU = "/sys/devices/system/cpu";

/** Module parameters kept in runtime.kvm.params, as "module.param" (the spelling the cmdline and modprobe use). */
export const KVM_PARAMS: Record<string, string[]> = {
  kvm: [
    "halt_poll_ns",
    "halt_poll_ns_grow",
    "halt_poll_ns_shrink",
    "kvmclock_periodic_sync",
    "nx_huge_pages",
    "lapic_timer_advance_ns",
    "tdp_mmu",
    "ignore_msrs",
  ],
  kvm_intel: [
    "enable_apicv",
    "enable_ipiv",
    "ept",
    "vpid",
    "nested",
    "pml",
    "preemption_timer",
    "ple_gap",
    "ple_window",
    "enable_shadow_vmcs",
    "unrestricted_guest",
  ],
  kvm_amd: ["avic", "npt", "nested", "pause_filter_count", "pause_filter_thresh", "vgif", "vls"],
};

export const SYSCTLS: readonly (keyof RuntimeInfo["sysctl"])[] = [
  "kernel.watchdog",
  "kernel.nmi_watchdog",
  "kernel.sched_rt_runtime_us",
  "kernel.sched_rt_period_us",
  "kernel.timer_migration",
  "vm.stat_interval",
];

export function readRuntime(fs: HostFs, topology: Topology): RuntimeInfo {
  const meminfo = parseMeminfo(fs.read("/proc/meminfo") ?? "");
  const sysctl = Object.fromEntries(
    SYSCTLS.map((k) => [k, readValue(fs, sysctlPath(k))]),
  ) as RuntimeInfo["sysctl"];
  const kvm = readKvm(fs);
  const runtime: RuntimeInfo = {
    isolated: readCpuList(fs, `${CPU}/isolated`),
    nohzFull: readCpuList(fs, `${CPU}/nohz_full`),
    clocksource: {
      current: readValue(fs, PATHS.clocksource),
      available: (readValue(fs, "/sys/devices/system/clocksource/clocksource0/available_clocksource") ?? "")
        .split(/\s+/)
        .filter((s) => s !== ""),
    },
    cpuidle: {
      driver: readValue(fs, `${CPU}/cpuidle/current_driver`),
      governor:
        readValue(fs, `${CPU}/cpuidle/current_governor_ro`) ??
        readValue(fs, `${CPU}/cpuidle/current_governor`),
    },
    cpufreq: readCpufreq(fs, topology),
    hugepages: {
      bySize: readHugepages(fs, "/sys/kernel/mm/hugepages"),
      defaultSizeKiB: meminfo.Hugepagesize ?? null,
    },
    thp: {
      enabled: selected(fs.read(PATHS.thpEnabled)),
      defrag: selected(fs.read("/sys/kernel/mm/transparent_hugepage/defrag")),
    },
    ksmRun: readInt(fs, PATHS.ksmRun),
    sysctl,
    irqbalanceRunning: null,
    irqbalanceBanned: readIrqbalanceBanned(fs),
    irqs: [],
    defaultIrqAffinity: readCpuMask(fs, PATHS.irqDefaultAffinity),
    workqueue: {
      cpumask: readCpuMask(fs, PATHS.workqueueCpumask),
      writebackCpumask: readCpuMask(fs, PATHS.writebackCpumask),
    },
    kvm,
    iommu: {
      // Only numbered entries are groups; an absent directory is unknown, not "0 groups".
      groups: fs.list("/sys/kernel/iommu_groups")?.filter((n) => /^\d+$/.test(n)).length ?? null,
      dmarOrIvrs:
        fs.exists("/sys/firmware/acpi/tables/DMAR") || fs.exists("/sys/firmware/acpi/tables/IVRS")
          ? true
          : fs.exists("/sys/firmware/acpi/tables")
            ? false
            : null,
    },
    net: readNet(fs),
  };
  // The two costly reads (every IRQ's affinity files; every process's comm) happen when a rule or the
  // inspect output first asks for them: `check` with no RT CPU set, or with irqbalance banned, never needs them.
  lazy(runtime, "irqs", () => readIrqs(fs));
  lazy(runtime, "irqbalanceRunning", () => readIrqbalanceRunning(fs));
  return runtime;
}

/** Replace obj[key] by a getter that computes the value once, on first use (enumerable: JSON sees it). */
function lazy<T extends object, K extends keyof T>(obj: T, key: K, compute: () => T[K]): void {
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
    set(value: T[K]) {
      Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
    },
  });
}

function readCpufreq(fs: HostFs, topology: Topology): RuntimeInfo["cpufreq"] {
  const governors: Record<string, string> = {};
  let driver: string | null = null;
  for (const cpu of topology.online) {
    const g = readValue(fs, perNumber(PATHS.scalingGovernor, cpu));
    if (g === null) continue;
    governors[String(cpu)] = g;
    driver ??= readValue(fs, `${CPU}/cpu${cpu}/cpufreq/scaling_driver`);
  }
  const pstateStatus =
    readValue(fs, `${CPU}/intel_pstate/status`) ?? readValue(fs, `${CPU}/amd_pstate/status`);
  const noTurbo = bool(fs.read(PATHS.intelNoTurbo));
  const boost = bool(fs.read(PATHS.cpufreqBoost));
  return { driver, governors, pstateStatus, turbo: noTurbo !== null ? !noTurbo : boost };
}

/** Is an irqbalance process running? Only /proc/<pid>/comm is read; null when no process can be seen. */
function readIrqbalanceRunning(fs: HostFs): boolean | null {
  const pids = (fs.list("/proc") ?? []).filter((n) => /^\d+$/.test(n));
  let seen = false;
  for (const pid of pids) {
    const comm = fs.read(`/proc/${pid}/comm`);
    if (comm === undefined) continue;
    seen = true;
    if (comm.trim() === "irqbalance") return true;
  }
  return seen ? false : null;
}

function readIrqbalanceBanned(fs: HostFs): number[] | null {
  const text = fs.read(PATHS.irqbalanceDefaults) ?? fs.read("/etc/sysconfig/irqbalance");
  if (text === undefined) return null;
  const vars = parseShellVars(text);
  if (vars.IRQBALANCE_BANNED_CPULIST !== undefined) return cpuListOrNull(vars.IRQBALANCE_BANNED_CPULIST);
  if (vars.IRQBALANCE_BANNED_CPUS !== undefined) return cpuMaskOrNull(vars.IRQBALANCE_BANNED_CPUS);
  return null;
}

function readIrqs(fs: HostFs): IrqInfo[] {
  const text = fs.read("/proc/interrupts");
  const actions = text === undefined ? new Map<number, string | null>() : irqActions(parseInterrupts(text));
  let numbers = listNumbered(fs, "/proc/irq", /^(\d+)$/);
  if (numbers.length === 0) numbers = [...actions.keys()].sort((a, b) => a - b);
  return numbers.map((irq) => {
    const d = `/proc/irq/${irq}`;
    return {
      irq,
      affinity: readCpuList(fs, `${d}/smp_affinity_list`) ?? readCpuMask(fs, `${d}/smp_affinity`),
      effective:
        readCpuList(fs, `${d}/effective_affinity_list`) ?? readCpuMask(fs, `${d}/effective_affinity`),
      actions: actions.get(irq) ?? null,
    };
  });
}

function readKvm(fs: HostFs): RuntimeInfo["kvm"] {
  const params: Record<string, string> = {};
  let vendorModule: string | null = null;
  for (const [mod, names] of Object.entries(KVM_PARAMS)) {
    const dir = `/sys/module/${mod}/parameters`;
    if (fs.list(dir) === undefined) continue;
    if (mod !== "kvm") vendorModule ??= mod;
    for (const name of names) {
      const v = readValue(fs, `${dir}/${name}`);
      if (v !== null) params[`${mod}.${name}`] = v;
    }
  }
  const devKvm = fs.exists("/dev/kvm") ? true : fs.exists("/dev") ? false : null;
  return { vendorModule, params, devKvm };
}

const PCI_ADDRESS = /^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;

/**
 * Network interfaces backed by a device (virtual ones such as lo have no `device`). /sys/class/net/X may be
 * the kernel's symlink or, in a snapshot, a plain directory: everything is read through the path, and the PCI
 * address and driver come from device/uevent first, the symlink targets only as a fallback.
 */
function readNet(fs: HostFs): PciNetDevice[] {
  const out: PciNetDevice[] = [];
  for (const iface of (fs.list("/sys/class/net") ?? []).sort()) {
    const dev = `/sys/class/net/${iface}/device`;
    if (fs.list(dev) === undefined) continue;
    const uevent = parseShellVars(fs.read(`${dev}/uevent`) ?? "");
    const linkBase = (p: string) => fs.readlink(p)?.split("/").pop();
    const slot = uevent.PCI_SLOT_NAME ?? linkBase(dev);
    const numa = readInt(fs, `${dev}/numa_node`);
    out.push({
      iface,
      pciAddress: slot !== undefined && PCI_ADDRESS.test(slot) ? slot : null,
      driver: uevent.DRIVER ?? linkBase(`${dev}/driver`) ?? null,
      numaNode: numa === null || numa < 0 ? null : numa,
      sriovTotalVfs: readInt(fs, `${dev}/sriov_totalvfs`),
      sriovNumVfs: readInt(fs, `${dev}/sriov_numvfs`),
    });
  }
  return out;
}
