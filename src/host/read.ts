/**
 * readHost: build the Host model from a HostFs (the live "/" or a snapshot). Reads only the small files the
 * model needs (a live `check` must stay fast) and never throws: whatever is missing becomes null / empty.
 */
import type { HostFs } from "./fs.js";
import type { CpuInfo, CpuTopologyEntry, Host, KernelInfo, NumaNode, Topology } from "./model.js";
import { archOf } from "./parse/arch.js";
import { parseCmdline } from "./parse/cmdline.js";
import { type CpuInfoStanza, cpuIdentity, parseCpuInfo } from "./parse/cpuinfo.js";
import { formatCpuList } from "./parse/cpulist.js";
import { parseKconfig } from "./parse/kconfig.js";
import { parseMeminfo } from "./parse/meminfo.js";
import { bool, parseShellVars } from "./parse/sysfs.js";
import { readRuntime } from "./read-runtime.js";
import { listNumbered, readCpuList, readCpuMask, readHugepages, readInt, readValue } from "./read-util.js";
import { readSriov } from "./sriov.js";

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
  const kernel = readKernel(fs);
  const topology = readTopology(fs, stanzas, kernel);
  const runtime = readRuntime(fs, topology);
  const cpu = readCpu(fs, stanzas, topology, runtime.kvm.params, runtime.kvm.vendorModule);
  const hostname = readValue(fs, "/proc/sys/kernel/hostname") ?? readValue(fs, "/etc/hostname");
  return {
    source: fs.root,
    hostname: hostname || null,
    cpu,
    topology,
    kernel,
    runtime,
    sriov: readSriov(fs),
  };
}

function readCpu(
  fs: HostFs,
  stanzas: CpuInfoStanza[],
  topology: Topology,
  kvmParams: Record<string, string>,
  vendorModule: string | null,
): CpuInfo {
  const first = topology.online[0];
  const stanza = stanzas.find((s) => s.processor === first) ?? stanzas[0];
  const id = cpuIdentity(stanza);
  const arch = archOf(readValue(fs, "/proc/sys/kernel/arch"), stanzas);
  const known = id.flags.length > 0;
  // The x86 feature flags mean nothing on another architecture (arm64's "Features" are other words).
  const x86Flags = known && (arch === "x86" || arch === null);
  const has = (f: string) =>
    x86Flags ? id.flags.includes(f) : arch !== null && arch !== "x86" ? false : null;
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
    arch,
    features: {
      tscDeadlineTimer: has("tsc_deadline_timer"),
      constantTsc,
      nonstopTsc,
      invariantTsc: constantTsc === null || nonstopTsc === null ? null : constantTsc && nonstopTsc,
      vmx: has("vmx"),
      svm: has("svm"),
      secondLevelPaging: x86Flags ? id.flags.includes("ept") || id.flags.includes("npt") : has("ept"),
      hypervisor: x86Flags ? id.flags.includes("hypervisor") : null,
      apicv,
      // Posted interrupts are only used when APICv is on (kvm_intel turns them off with it).
      postedInterrupts: vendorModule === "kvm_intel" ? apicv : null,
    },
  };
}

function readTopology(fs: HostFs, stanzas: CpuInfoStanza[], kernel: KernelInfo): Topology {
  let present = listNumbered(fs, CPU, /^cpu(\d+)$/);
  if (present.length === 0) present = stanzas.flatMap((s) => (s.processor === null ? [] : [s.processor]));
  let online = readCpuList(fs, `${CPU}/online`);
  if (online === null) {
    // No online list: a CPU is online unless its own online file says 0.
    online = present.filter((c) => readValue(fs, `${CPU}/cpu${c}/online`) !== "0");
  }
  const onlineSet = new Set(online);
  const numaNodes = readNuma(fs, present, online, kernel);
  const nodeOf = new Map<number, number>();
  for (const n of numaNodes) for (const c of n.cpus ?? []) nodeOf.set(c, n.id);
  const byProcessor = new Map(stanzas.map((s) => [s.processor, s.fields]));
  // Without sysfs topology, x86's cpuinfo still names each CPU's (physical id, core id): threads of one core.
  const cpuinfoCore = (cpu: number): number[] | null => {
    const f = byProcessor.get(cpu);
    const key = (g: Record<string, string> | undefined) =>
      g?.["physical id"] !== undefined && g["core id"] !== undefined
        ? `${g["physical id"]}:${g["core id"]}`
        : null;
    const k = key(f);
    if (k === null) return null;
    return stanzas.filter((x) => x.processor !== null && key(x.fields) === k).map((x) => x.processor!);
  };

  const packages = new Map<number, number[] | null>();
  // Threads of one core share its package, core_id and sibling list (the kernel builds thread_siblings from
  // exactly those): an online CPU named by an earlier online CPU's sysfs sibling list takes them from it instead
  // of reading its own 4-6 topology files (half the files of an SMT host's topology).
  const named = new Map<number, CpuTopologyEntry>();
  const cpus: CpuTopologyEntry[] = present.map((cpu) => {
    const online = onlineSet.has(cpu);
    const node = (): number | null =>
      // An offline CPU leaves its node's cpulist but keeps its cpuN/nodeM link.
      nodeOf.get(cpu) ?? numaNodes.find((n) => fs.exists(`${CPU}/cpu${cpu}/node${n.id}`))?.id ?? null;
    const sibling = online ? named.get(cpu) : undefined;
    if (sibling !== undefined) {
      packages.set(cpu, packages.get(sibling.cpu) ?? null);
      return {
        cpu,
        online,
        socket: sibling.socket,
        core: sibling.core,
        node: node(),
        siblings: [...sibling.siblings],
      };
    }
    const t = `${CPU}/cpu${cpu}/topology`;
    const ci = byProcessor.get(cpu);
    const pkg = readInt(fs, `${t}/physical_package_id`) ?? numOrNull(ci?.["physical id"]);
    // The package's CPUs (package_cpus is the newer name of core_siblings): lscpu counts sockets by them.
    packages.set(
      cpu,
      readCpuList(fs, `${t}/package_cpus_list`) ??
        readCpuList(fs, `${t}/core_siblings_list`) ??
        readCpuMask(fs, `${t}/core_siblings`),
    );
    const core = readInt(fs, `${t}/core_id`) ?? numOrNull(ci?.["core id"]);
    // A core is its sibling group (core_cpus is the newer name of thread_siblings), never (package, core_id):
    // core_id repeats per die and per cluster.
    const fromSysfs =
      readCpuList(fs, `${t}/core_cpus_list`) ??
      readCpuList(fs, `${t}/thread_siblings_list`) ??
      readCpuMask(fs, `${t}/thread_siblings`);
    const entry: CpuTopologyEntry = {
      cpu,
      online,
      socket: pkg !== null && pkg >= 0 ? pkg : null,
      core,
      node: node(),
      siblings: fromSysfs ?? cpuinfoCore(cpu) ?? [cpu],
    };
    if (online && fromSysfs?.includes(cpu))
      for (const s of fromSysfs) if (s > cpu && onlineSet.has(s) && !named.has(s)) named.set(s, entry);
    return entry;
  });

  // physical_package_id -1 (POWER, some RISC-V): number the packages by their CPU groups, as lscpu does.
  const groupKey = (cpu: number) => {
    const g = packages.get(cpu);
    return g === null || g === undefined || g.length === 0 ? null : formatCpuList(g);
  };
  const ordinals = new Map<string, number>();
  for (const e of cpus) {
    const k = groupKey(e.cpu);
    if (k !== null && !ordinals.has(k)) ordinals.set(k, ordinals.size);
  }
  for (const e of cpus) {
    const k = groupKey(e.cpu);
    if (e.socket === null && k !== null && e.online) e.socket = ordinals.get(k)!;
  }

  const live = cpus.filter((c) => c.online);
  const groupsKnown = live.length > 0 && live.every((c) => groupKey(c.cpu) !== null);
  const sockets = groupsKnown
    ? new Set(live.map((c) => groupKey(c.cpu))).size
    : new Set(live.map((c) => c.socket ?? 0)).size;
  const cores = new Set(live.map((c) => formatCpuList(c.siblings))).size;
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

/**
 * NUMA nodes and their CPUs from every source the kernel offers: nodeN/cpulist, else nodeN/cpumap, else the
 * cpuM/nodeN links (used only when every present CPU has its link, so a partial view never claims a CPU-less
 * node). A node whose CPUs no source gives has `cpus: null`, never "no CPUs".
 */
function readNuma(fs: HostFs, present: number[], online: number[], kernel: KernelInfo): NumaNode[] {
  const ids = listNumbered(fs, NODE, /^node(\d+)$/);
  if (ids.length === 0) {
    // No node directory: a kernel without NUMA has exactly one node, 0. Say so only when that is known (the live
    // machine, or CONFIG_NUMA=n); a snapshot without the directory leaves the nodes unknown.
    const noNuma = kernel.config.CONFIG_NUMA === "n" || (fs.live && !fs.exists(NODE));
    if (!noNuma) return [];
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
  // The cpuM/nodeN links are looked at only when a node's own files are missing (a live kernel always has
  // cpulist); exists() keeps `inspect --save` reproducing them.
  let links: Map<number, number[]> | null | undefined;
  const fromLinks = (): Map<number, number[]> | null => {
    if (links !== undefined) return links;
    const linked = new Map<number, number[]>();
    for (const cpu of present) {
      const id = ids.find((n) => fs.exists(`${CPU}/cpu${cpu}/node${n}`));
      if (id === undefined) {
        // One CPU without its link: a partial view must not make a node look CPU-less.
        links = null;
        return links;
      }
      linked.set(id, [...(linked.get(id) ?? []), cpu]);
    }
    links = present.length > 0 ? linked : null;
    return links;
  };
  return ids.map((id) => {
    const d = `${NODE}/node${id}`;
    const mem = parseMeminfo(fs.read(`${d}/meminfo`) ?? "");
    return {
      id,
      cpus:
        readCpuList(fs, `${d}/cpulist`) ??
        readCpuMask(fs, `${d}/cpumap`) ??
        (fromLinks() === null ? null : (fromLinks()!.get(id) ?? [])),
      memTotalKiB: mem.MemTotal ?? null,
      memFreeKiB: mem.MemFree ?? null,
      hugepages: readHugepages(fs, `${d}/hugepages`),
    };
  });
}

/** The last kernel config parsed (its text and the relevant keys). */
let lastKconfig: { text: string | undefined; relevant: Record<string, string> } = {
  text: undefined,
  relevant: {},
};

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
    // the nodes of a pod mostly run one kernel build: `check --node all` parses its ~10k lines once, not per node
    if (configText !== lastKconfig.text) {
      const all = parseKconfig(configText);
      const relevant: Record<string, string> = {};
      for (const key of RELEVANT_KCONFIG) relevant[key] = all[key] ?? "n";
      lastKconfig = { text: configText, relevant };
    }
    Object.assign(config, lastKconfig.relevant);
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
