/**
 * Small shared pieces for the rule files: verdict constructors, cmdline parameter reading, the wording of
 * remedies and sources. Kept here so every rule words the same fix the same way.
 */
import type { Host } from "../../host/model.js";
import { formatCpuList, parseKernelCpuList, subtract } from "../../host/parse/cpulist.js";
import { type Isolcpus, parseIrqaffinity, parseIsolcpus, parseRcuNocbs } from "../../host/parse/isolation.js";
import { PATHS, sysctlPath } from "../../host/paths.js";
import type { RuleContext, Verdict } from "./types.js";

export const P = {
  cmdline: "/proc/cmdline",
  cpuinfo: "/proc/cpuinfo",
  isolated: "/sys/devices/system/cpu/isolated",
  nohzFull: "/sys/devices/system/cpu/nohz_full",
  smt: "/sys/devices/system/cpu/smt/control",
  cpuidle: "/sys/devices/system/cpu/cpuidle/current_driver",
  cpufreq: PATHS.scalingGovernor,
  hugepages: "/sys/kernel/mm/hugepages",
  nodeHugepages: (n: number) => `/sys/devices/system/node/node${n}/hugepages`,
  irq: PATHS.irqAffinityList,
  defaultAffinity: PATHS.irqDefaultAffinity,
  workqueue: PATHS.workqueueCpumask,
  writeback: PATHS.writebackCpumask,
  ksm: PATHS.ksmRun,
  thp: PATHS.thpEnabled,
  clocksource: PATHS.clocksource,
  kvmParams: "/sys/module/kvm*/parameters",
  iommuGroups: "/sys/kernel/iommu_groups",
  sysctl: sysctlPath,
} as const;

export const SRC = {
  bios: "seed 003 §2.1.1 BIOS Setup",
  cpuFeatures: "seed 003 §2.1.1 CPU Features",
  kernelConfig: "seed 003 §2.1.2 Kernel Parameter (opnfv.config)",
  bootLine: "seed 003 §2.1.2 Kernel Parameter (boot line example)",
  platform: (item: string) => `seed 003 §2.2.1 Platform Configuration: ${item}`,
  os: (item: string) => `seed 003 §2.2.2 Operating System Configuration: ${item}`,
  tuned: "tuning-anchors: tuned realtime-virtual-host/guest",
  vhv: "tuning-anchors: virt-host-validate",
  original: "kvm4nfv-original: ci/envs host-setup1.sh / guest-setup1.sh",
} as const;

export function pass(evidence: string, expected: string): Verdict {
  return { level: "pass", evidence, expected, remedy: null, rebootRequired: false };
}

export function fail(evidence: string, expected: string, remedy: string, rebootRequired: boolean): Verdict {
  return { level: "fail", evidence, expected, remedy, rebootRequired };
}

export function warn(evidence: string, expected: string, remedy: string, rebootRequired: boolean): Verdict {
  return { level: "warn", evidence, expected, remedy, rebootRequired };
}

export function unknown(
  evidence: string,
  expected: string,
  remedy: string | null = null,
  rebootRequired = false,
): Verdict {
  return { level: "unknown", evidence, expected, remedy, rebootRequired };
}

export function na(evidence: string, expected: string): Verdict {
  return { level: "n/a", evidence, expected, remedy: null, rebootRequired: false };
}

/** Running under a hypervisor (cpuinfo "hypervisor" flag); null counts as bare metal. */
export function inVm(host: Host): boolean {
  return host.cpu.features.hypervisor === true;
}

/**
 * The x86-only items' gate (TSC, NX, VT-x/AMD-V, APICv, kvmclock, intel_pstate, MCE, SMI, port 60/64): n/a on
 * another architecture, named in the evidence; an unknown architecture runs the check (its evidence says what
 * is missing).
 */
export function x86Only(ctx: RuleContext, what: string, expected: string, check: () => Verdict): Verdict {
  const arch = ctx.host.cpu.arch;
  if (arch !== null && arch !== "x86") return na(`${arch} host: ${what} exists only on x86`, expected);
  return check();
}

/** The platform/BIOS rules' common gate: n/a for the guest role or inside a VM, else run the check. */
export function physical(ctx: RuleContext, expected: string, check: () => Verdict): Verdict {
  if (ctx.role === "guest") return na("guest role: the host's BIOS and platform own this", expected);
  if (inVm(ctx.host)) {
    return na(`${P.cpuinfo}: hypervisor flag set: inside a VM the physical host's BIOS owns this`, expected);
  }
  return check();
}

/** A cmdline parameter's value ("" for a bare flag), undefined when absent, null when the cmdline is unknown. */
export function param(host: Host, key: string): string | undefined | null {
  if (host.kernel.cmdline === null) return null;
  return Object.hasOwn(host.kernel.params, key) ? host.kernel.params[key] : undefined;
}

/** "/proc/cmdline: isolcpus=20-35" / "/proc/cmdline: isolcpus absent" / "/proc/cmdline unreadable". */
export function paramEvidence(host: Host, key: string): string {
  const v = param(host, key);
  if (v === null) return `${P.cmdline}: unreadable`;
  if (v === undefined) return `${P.cmdline}: ${key} absent`;
  return v === "" ? `${P.cmdline}: ${key}` : `${P.cmdline}: ${key}=${v}`;
}

/** The highest possible CPU: what "N" means in a cmdline CPU list (null when the possible CPUs are unknown). */
export function lastCpu(host: Host): number | null {
  const p = host.topology.possible.length > 0 ? host.topology.possible : onlineCpus(host);
  return p.length > 0 ? Math.max(...p) : null;
}

/** isolcpus as the kernel reads it (flags, effective isolation, CPUs); undefined when absent, null when unknown. */
export function isolcpusParam(host: Host): Isolcpus | undefined | null {
  const v = param(host, "isolcpus");
  if (v === null || v === undefined) return v;
  return parseIsolcpus(v, lastCpu(host));
}

/**
 * The CPUs a cmdline CPU-list parameter names, read as the kernel reads it (flags stripped for isolcpus, `N` and
 * `all` resolved, rcu_nocbs' bare flag and bad-list fallback): undefined when absent, null when the cmdline (or
 * the last CPU that `N` needs) is unknown, "malformed" when the kernel ignores the list (never thrown: the host
 * is not the user's input, it is the thing being audited).
 */
export function paramCpus(host: Host, key: string): number[] | undefined | null | "malformed" {
  const v = param(host, key);
  if (v === null || v === undefined) return v;
  if (key === "rcu_nocbs") {
    const r = parseRcuNocbs(v, host.topology.possible.length > 0 ? host.topology.possible : null);
    return r.cpus;
  }
  const r =
    key === "isolcpus"
      ? parseIsolcpus(v, lastCpu(host)).cpus
      : key === "irqaffinity"
        ? parseIrqaffinity(v, lastCpu(host))
        : parseKernelCpuList(v, lastCpu(host));
  if (r.ok) return r.cpus;
  return r.unknownLast ? null : "malformed";
}

/** Why the kernel reads a CPU-list parameter differently from its text, or null: for evidence lines. */
export function paramCpusNote(host: Host, key: string): string | null {
  const v = param(host, key);
  if (v === null || v === undefined) return null;
  if (key === "rcu_nocbs") return parseRcuNocbs(v, host.topology.possible).note;
  const r = key === "isolcpus" ? parseIsolcpus(v, lastCpu(host)).cpus : parseKernelCpuList(v, lastCpu(host));
  return r.ok ? null : r.reason;
}

export function cpus(list: readonly number[]): string {
  return list.length === 0 ? "(none)" : formatCpuList(list);
}

/** How a cmdline fix is applied, worded for the role (the guest's own grub for a guest). */
export function cmdlineRemedy(params: string, role: RuleContext["role"]): string {
  const where = role === "guest" ? "in the guest, " : "";
  return `${where}add \`${params}\` to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub and reboot`;
}

export function sysctlRemedy(name: string, value: string): string {
  return `sysctl -w ${name}=${value} and persist it: echo '${name} = ${value}' >> ${PATHS.sysctlConf}`;
}

/** Online CPUs (falls back to every CPU in the topology, then to the RT set's max). */
export function onlineCpus(host: Host): number[] {
  if (host.topology.online.length > 0) return host.topology.online;
  return host.topology.cpus.filter((c) => c.online).map((c) => c.cpu);
}

/** The CPUs left for the OS: online CPUs minus the RT set. */
export function housekeeping(ctx: RuleContext): number[] {
  return subtract(onlineCpus(ctx.host), ctx.rtCpus);
}

export function nodeOf(host: Host, cpu: number): number | null {
  const entry = host.topology.cpus.find((c) => c.cpu === cpu);
  if (entry?.node !== null && entry?.node !== undefined) return entry.node;
  const node = host.topology.numaNodes.find((n) => n.cpus?.includes(cpu));
  return node ? node.id : null;
}

/** NUMA nodes the RT CPUs sit on (sorted); CPUs with an unknown node are left out. */
export function rtNodes(ctx: RuleContext): number[] {
  const nodes = new Set<number>();
  for (const c of ctx.rtCpus) {
    const n = nodeOf(ctx.host, c);
    if (n !== null) nodes.add(n);
  }
  return [...nodes].sort((a, b) => a - b);
}

/**
 * A suggested RT set for a host that has none: whole cores of the last NUMA node, never CPU 0 or its
 * siblings (housekeeping keeps at least that core). Empty when the machine has a single core.
 */
export function suggestRtCpus(host: Host): number[] {
  const online = onlineCpus(host);
  const cpu0Core = host.topology.cpus.find((c) => c.cpu === 0)?.siblings ?? [0];
  const reserved = new Set([0, ...cpu0Core]);
  const nodes = host.topology.numaNodes.filter((n) => (n.cpus ?? []).length > 0);
  const last = nodes.length > 1 ? nodes[nodes.length - 1] : undefined;
  const pool = last ? (last.cpus ?? []).filter((c) => online.includes(c)) : online;
  return pool.filter((c) => !reserved.has(c));
}

/** The failing verdict every isolation rule gives when there is no RT CPU set at all. */
export function noRtSet(ctx: RuleContext, what: string, paramName?: string): Verdict {
  const suggestion = suggestRtCpus(ctx.host);
  const eg = suggestion.length > 0 ? formatCpuList(suggestion) : "1";
  const unit = ctx.role === "guest" ? "vCPUs" : "CPUs";
  const add = paramName ? `, then add \`${paramName}=${eg}\` to the cmdline` : "";
  const remedy =
    `choose the RT ${unit}: whole cores on one NUMA node, leave CPU 0 for housekeeping: e.g. --cpus ${eg} ` +
    `or \`kvm4nfv plan --rt-cpus N\`${add}`;
  // An unreadable cmdline may well isolate CPUs: unknown, never a failure from less information.
  if (ctx.host.kernel.cmdline === null) {
    return unknown(
      `no --cpus given and ${P.cmdline} unreadable: the RT CPU set is unknown`,
      what,
      remedy,
      false,
    );
  }
  return fail(
    `no RT CPU set: no --cpus given and ${P.cmdline} has neither isolcpus nor nohz_full`,
    what,
    `choose the RT ${unit}: whole cores on one NUMA node, leave CPU 0 for housekeeping: e.g. --cpus ${eg} ` +
      `or \`kvm4nfv plan --rt-cpus N\`${add}`,
    paramName !== undefined,
  );
}

/** Shorten a long list of offenders for evidence lines. */
export function firstFew(items: readonly string[], n = 5): string {
  if (items.length <= n) return items.join("; ");
  return `${items.slice(0, n).join("; ")}; and ${items.length - n} more`;
}

/** A kernel config option: "y"/"m"/"n"/value; null when no config was found. */
export function configOpt(host: Host, name: string): string | null {
  if (host.kernel.configSource === null) return null;
  return host.kernel.config[name] ?? "n";
}

/** A kvm module parameter, looked up under the spellings the reader may use. */
export function kvmParam(host: Host, name: string): string | null {
  const p = host.runtime.kvm.params;
  for (const key of [name, `kvm.${name}`, `kvm_intel.${name}`, `kvm_amd.${name}`]) {
    if (Object.hasOwn(p, key)) return p[key]!.trim();
  }
  return null;
}

/** Kernel boolean module parameter spellings: Y/N, 1/0, on/off. */
export function isOff(v: string): boolean {
  return ["n", "0", "off", "never", "false"].includes(v.trim().toLowerCase());
}
