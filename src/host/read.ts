/**
 * readHost: build the Host model from a HostFs (the live "/" or a snapshot). Reads only the small files the
 * model needs (a live `check` must stay fast) and never throws: whatever is missing becomes null / empty.
 */
import type { HostFs } from "./fs.js";
import type { CpuInfo, CpuTopologyEntry, Host, KernelInfo, NumaNode, Topology } from "./model.js";
import { parseCmdline } from "./parse/cmdline.js";
import { type CpuInfoStanza, cpuIdentity, parseCpuInfo } from "./parse/cpuinfo.js";
import { parseKconfig } from "./parse/kconfig.js";
import { parseMeminfo } from "./parse/meminfo.js";
import { bool, parseShellVars } from "./parse/sysfs.js";
import { readRuntime } from "./read-runtime.js";
import { listNumbered, readCpuList, readHugepages, readInt, readValue } from "./read-util.js";

const CPU = "/sys/devices/system/cpu";
const NODE = "/sys/devices/system/node";

/** Kernel options the model keeps: those that decide real-time behaviour, virtualisation and passthrough. */
export const RELEVANT_KCONFIG = [
  "CONFIG_PREEMPT_RT",
  "CONFIG_PREEMPT_RT_FULL",
  "CONFIG_PREEMPT",
  "CONFIG_PREEMPT_VOLUNTARY",
  "CONFIG_PREEMPT_NONE",
  "CONFIG_PREEMPT_DYNAMIC",
  "CONFIG_NO_HZ_FULL",
  "CONFIG_NO_HZ_IDLE",
  "CONFIG_NO_HZ",
  "CONFIG_NO_HZ_COMMON",
  "CONFIG_RCU_NOCB_CPU",
  "CONFIG_RCU_BOOST",
  "CONFIG_CPU_ISOLATION",
  "CONFIG_HIGH_RES_TIMERS",
  "CONFIG_HZ",
  "CONFIG_HZ_100",
  "CONFIG_HZ_250",
  "CONFIG_HZ_300",
  "CONFIG_HZ_1000",
  "CONFIG_NUMA",
  "CONFIG_HOTPLUG_CPU",
  "CONFIG_CPU_FREQ",
  "CONFIG_CPU_IDLE",
  "CONFIG_INTEL_IDLE",
  "CONFIG_X86_INTEL_PSTATE",
  "CONFIG_X86_AMD_PSTATE",
  "CONFIG_HUGETLBFS",
  "CONFIG_HUGETLB_PAGE",
  "CONFIG_TRANSPARENT_HUGEPAGE",
  "CONFIG_KSM",
  "CONFIG_KVM",
  "CONFIG_KVM_INTEL",
  "CONFIG_KVM_AMD",
  "CONFIG_INTEL_IOMMU",
  "CONFIG_INTEL_IOMMU_DEFAULT_ON",
  "CONFIG_AMD_IOMMU",
  "CONFIG_VFIO",
  "CONFIG_VFIO_PCI",
  "CONFIG_PCI_IOV",
  "CONFIG_LOCKUP_DETECTOR",
  "CONFIG_SOFTLOCKUP_DETECTOR",
  "CONFIG_HARDLOCKUP_DETECTOR",
  "CONFIG_IRQ_FORCED_THREADING",
  "CONFIG_IKCONFIG_PROC",
];

export function readHost(fs: HostFs): Host {
  const cpuinfoText = fs.read("/proc/cpuinfo");
  const stanzas = cpuinfoText === undefined ? [] : parseCpuInfo(cpuinfoText);
  const topology = readTopology(fs, stanzas);
  const kernel = readKernel(fs);
  const runtime = readRuntime(fs, topology);
  const cpu = readCpu(stanzas, topology, runtime.kvm.params, runtime.kvm.vendorModule);
  const hostname = readValue(fs, "/proc/sys/kernel/hostname") ?? readValue(fs, "/etc/hostname");
  return { source: fs.root, hostname: hostname || null, cpu, topology, kernel, runtime };
}

function readCpu(
  stanzas: CpuInfoStanza[],
  topology: Topology,
  kvmParams: Record<string, string>,
  vendorModule: string | null,
): CpuInfo {
  const first = topology.online[0];
  const stanza = stanzas.find((s) => s.processor === first) ?? stanzas[0];
  const id = cpuIdentity(stanza);
  const known = id.flags.length > 0;
  const has = (f: string) => (known ? id.flags.includes(f) : null);
  const constantTsc = has("constant_tsc");
  const nonstopTsc = has("nonstop_tsc");
  const apicvText =
    vendorModule === "kvm_intel"
      ? kvmParams["kvm_intel.enable_apicv"]
      : vendorModule === "kvm_amd"
        ? kvmParams["kvm_amd.avic"]
        : undefined;
  const apicv = bool(apicvText);
  return {
    ...id,
    features: {
      tscDeadlineTimer: has("tsc_deadline_timer"),
      constantTsc,
      nonstopTsc,
      invariantTsc: constantTsc === null || nonstopTsc === null ? null : constantTsc && nonstopTsc,
      vmx: has("vmx"),
      svm: has("svm"),
      secondLevelPaging: known ? id.flags.includes("ept") || id.flags.includes("npt") : null,
      hypervisor: has("hypervisor"),
      apicv,
      // Posted interrupts are only used when APICv is on (kvm_intel turns them off with it).
      postedInterrupts: vendorModule === "kvm_intel" ? apicv : null,
    },
  };
}

function readTopology(fs: HostFs, stanzas: CpuInfoStanza[]): Topology {
  let present = listNumbered(fs, CPU, /^cpu(\d+)$/);
  if (present.length === 0) present = stanzas.flatMap((s) => (s.processor === null ? [] : [s.processor]));
  let online = readCpuList(fs, `${CPU}/online`);
  if (online === null) {
    // No online list: a CPU is online unless its own online file says 0.
    online = present.filter((c) => readValue(fs, `${CPU}/cpu${c}/online`) !== "0");
  }
  const onlineSet = new Set(online);
  const numaNodes = readNuma(fs, online);
  const nodeOf = new Map<number, number>();
  for (const n of numaNodes) for (const c of n.cpus) nodeOf.set(c, n.id);
  const byProcessor = new Map(stanzas.map((s) => [s.processor, s.fields]));

  const cpus: CpuTopologyEntry[] = present.map((cpu) => {
    const t = `${CPU}/cpu${cpu}/topology`;
    const ci = byProcessor.get(cpu);
    const socket = readInt(fs, `${t}/physical_package_id`) ?? numOrNull(ci?.["physical id"]);
    const core = readInt(fs, `${t}/core_id`) ?? numOrNull(ci?.["core id"]);
    return {
      cpu,
      online: onlineSet.has(cpu),
      socket,
      core,
      node: nodeOf.get(cpu) ?? null,
      siblings: readCpuList(fs, `${t}/thread_siblings_list`) ?? [cpu],
    };
  });

  const live = cpus.filter((c) => c.online);
  const sockets = new Set(live.map((c) => c.socket ?? 0)).size;
  // core_id repeats across sockets, so a physical core is the (package, core) pair.
  const cores = new Set(live.map((c) => `${c.socket ?? 0}:${c.core ?? c.cpu}`)).size;
  const threadsPerCore = live.reduce((m, c) => Math.max(m, c.siblings.length), live.length > 0 ? 1 : 0);
  const smtActive = bool(fs.read(`${CPU}/smt/active`));
  return {
    cpus,
    online,
    possible: readCpuList(fs, `${CPU}/possible`) ?? online,
    sockets,
    cores,
    threadsPerCore,
    numaNodes,
    smtControl: readValue(fs, `${CPU}/smt/control`),
    smtActive,
  };
}

function numOrNull(v: string | undefined): number | null {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

function readNuma(fs: HostFs, online: number[]): NumaNode[] {
  const ids = listNumbered(fs, NODE, /^node(\d+)$/);
  const nodes: NumaNode[] = [];
  for (const id of ids) {
    const d = `${NODE}/node${id}`;
    const mem = parseMeminfo(fs.read(`${d}/meminfo`) ?? "");
    nodes.push({
      id,
      cpus: readCpuList(fs, `${d}/cpulist`) ?? [],
      memTotalKiB: mem.MemTotal ?? null,
      memFreeKiB: mem.MemFree ?? null,
      hugepages: readHugepages(fs, `${d}/hugepages`),
    });
  }
  if (nodes.length > 0) return nodes;
  // No NUMA in sysfs (CONFIG_NUMA off, or a minimal snapshot): one node holding every online CPU.
  const mem = parseMeminfo(fs.read("/proc/meminfo") ?? "");
  return [
    {
      id: 0,
      cpus: online,
      memTotalKiB: mem.MemTotal ?? null,
      memFreeKiB: mem.MemFree ?? null,
      hugepages: {},
    },
  ];
}

function readKernel(fs: HostFs): KernelInfo {
  const version = readValue(fs, "/proc/version");
  const release =
    readValue(fs, "/proc/sys/kernel/osrelease") ??
    (version ? (/^Linux version (\S+)/.exec(version)?.[1] ?? null) : null);
  const cmdline = readValue(fs, "/proc/cmdline");
  const params = cmdline === null ? {} : parseCmdline(cmdline).params;

  let configSource: string | null = null;
  let configText: string | undefined;
  if (release !== null) {
    configText = fs.read(`/boot/config-${release}`);
    if (configText !== undefined) configSource = `/boot/config-${release}`;
  }
  if (configText === undefined) {
    configText = fs.read("/proc/config.gz");
    if (configText !== undefined) configSource = "/proc/config.gz";
  }
  const config: Record<string, string> = {};
  if (configText !== undefined) {
    const all = parseKconfig(configText);
    for (const key of RELEVANT_KCONFIG) config[key] = all[key] ?? "n";
  }

  const rtFile = readValue(fs, "/sys/kernel/realtime");
  const rtSignals = [
    rtFile === "1",
    version !== null && /PREEMPT[_ ]RT/.test(version),
    config.CONFIG_PREEMPT_RT === "y" || config.CONFIG_PREEMPT_RT_FULL === "y",
  ];
  const anyKnown = rtFile !== null || version !== null || configSource !== null;
  const realtime = rtSignals.some(Boolean) ? true : anyKnown ? false : null;

  const grubText = fs.read("/etc/default/grub");
  const grubVars = grubText === undefined ? null : parseShellVars(grubText);
  return {
    release,
    version,
    cmdline,
    params,
    realtime,
    configSource,
    config,
    grub:
      grubVars === null
        ? null
        : {
            cmdlineLinux: grubVars.GRUB_CMDLINE_LINUX ?? null,
            cmdlineLinuxDefault: grubVars.GRUB_CMDLINE_LINUX_DEFAULT ?? null,
          },
  };
}
