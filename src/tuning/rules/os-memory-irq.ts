/**
 * Memory, interrupts and device assignment (seed 003 §2.2.2 "Memory allocation", "IRQ affinity", "Device
 * assignment for VM"): hugepages reserved (1 GiB preferred, on the RT CPUs' node), every IRQ kept off the RT
 * CPUs, irqbalance stopped or told to keep off them, IOMMU on for passthrough.
 */
import type { Host } from "../../host/model.js";
import { formatCpuMask, intersect, subtract } from "../../host/parse/cpulist.js";
import { PATHS, perNumber } from "../../host/paths.js";
import { auditProfile } from "../settings/audit.js";
import { settingByKey } from "../settings/index.js";
import {
  cmdlineRemedy,
  cpus,
  fail,
  firstFew,
  housekeeping,
  inVm,
  na,
  noRtSet,
  P,
  param,
  paramEvidence,
  pass,
  rtNodes,
  SRC,
  unknown,
  warn,
} from "./helpers.js";
import type { Rule } from "./types.js";

const GIB = "1048576";
/** The catalogue's default-affinity setting: its remedy is this rule's. */
const DEFAULT_AFFINITY = settingByKey("irq.default-affinity");

function sizeLabel(kib: string): string {
  const n = Number(kib);
  return n >= 1048576 ? `${n / 1048576}G` : n >= 1024 ? `${n / 1024}M` : `${n}K`;
}

function hugeEvidence(pages: Record<string, { total: number; free: number }>): string {
  const parts = Object.entries(pages)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([k, v]) => `${sizeLabel(k)}: ${v.total} total, ${v.free} free`);
  return parts.length > 0 ? parts.join("; ") : "none";
}

function supports1G(host: Host): boolean {
  return host.cpu.flags.includes("pdpe1gb");
}

const hugepages: Rule = {
  id: "os.hugepages",
  area: "os",
  title: "Hugepages reserved (1 GiB preferred)",
  roles: ["host", "guest"],
  source: `${SRC.os("Memory allocation")}; ${SRC.bootLine}`,
  check(ctx) {
    const { bySize, defaultSizeKiB } = ctx.host.runtime.hugepages;
    const expected = "1 GiB hugepages reserved (default_hugepagesz=1G hugepagesz=1G hugepages=N)";
    const dflt = defaultSizeKiB === null ? "" : `; default size ${sizeLabel(String(defaultSizeKiB))}`;
    const evidence = `${P.hugepages}: ${hugeEvidence(bySize)}${dflt}`;
    if (Object.keys(bySize).length === 0) return unknown(`${P.hugepages}: missing`, expected);
    const remedy =
      cmdlineRemedy("default_hugepagesz=1G hugepagesz=1G hugepages=2", ctx.role) +
      " (size hugepages=N to the guests' memory in GiB; the original setup reserved 2)";
    if ((bySize[GIB]?.total ?? 0) > 0) return pass(evidence, expected);
    const any = Object.values(bySize).some((v) => v.total > 0);
    if (any && !supports1G(ctx.host))
      return pass(`${evidence} (CPU has no pdpe1gb: 2M is the best)`, expected);
    if (any) return warn(`${evidence}: no 1G pages`, expected, remedy, true);
    return fail(`${evidence}: nothing reserved`, expected, remedy, true);
  },
};

const hugepagesNode: Rule = {
  id: "os.hugepages.numa-node",
  area: "os",
  title: "Hugepages reserved on the RT CPUs' NUMA node",
  roles: ["host"],
  source: `${SRC.os("NUMA configuration")}; kvm4nfv-original: host-setup1.sh nr_hugepages on node1`,
  check(ctx) {
    const expected = "hugepages reserved on every NUMA node the RT CPUs use";
    if (ctx.rtCpus.length === 0) return na("no RT CPU set: no node to reserve on", expected);
    const nodes = rtNodes(ctx);
    const info = nodes.map((id) => ctx.host.topology.numaNodes.find((n) => n.id === id));
    if (nodes.length === 0 || info.some((n) => n === undefined || Object.keys(n.hugepages).length === 0)) {
      return unknown(`${P.nodeHugepages(nodes[0] ?? 0)}: missing`, expected);
    }
    const evidence = info.map((n) => `${P.nodeHugepages(n!.id)}: ${hugeEvidence(n!.hugepages)}`).join("; ");
    const empty = info.filter((n) => !Object.values(n!.hugepages).some((v) => v.total > 0));
    if (empty.length === 0) return pass(evidence, expected);
    const size = supports1G(ctx.host) ? "1048576kB" : "2048kB";
    const fix = empty.map((n) => `echo 2 > ${P.nodeHugepages(n!.id)}/hugepages-${size}/nr_hugepages`);
    return fail(
      `${evidence}: none on node ${empty.map((n) => n!.id).join(",")}`,
      expected,
      `${fix.join("; ")} (1G pages are best reserved early; if it falls short, reserve at boot)`,
      false,
    );
  },
};

const irqAffinity: Rule = {
  id: "os.irq-affinity",
  area: "os",
  title: "Every IRQ kept off the RT CPUs",
  roles: ["host", "guest"],
  source: `${SRC.os("IRQ affinity")}; ${SRC.original}`,
  check(ctx) {
    if (ctx.rtCpus.length === 0) return noRtSet(ctx, "every IRQ's affinity off the RT CPUs");
    const hk = housekeeping(ctx);
    const expected = `every IRQ's smp_affinity_list and effective_affinity_list within housekeeping ${cpus(hk)}`;
    const irqs = ctx.host.runtime.irqs;
    if (irqs.length === 0) return unknown("/proc/irq: no IRQs listed", expected);
    const offenders: string[] = [];
    const numbers: number[] = [];
    for (const irq of irqs) {
      const a = irq.affinity === null ? [] : intersect(irq.affinity, ctx.rtCpus);
      const e = irq.effective === null ? [] : intersect(irq.effective, ctx.rtCpus);
      if (a.length === 0 && e.length === 0) continue;
      const name = irq.actions ? ` (${irq.actions})` : "";
      const eff = irq.effective === null ? "" : `, effective ${cpus(irq.effective)}`;
      const hit = cpus([...new Set([...a, ...e])].sort((x, y) => x - y));
      offenders.push(
        `IRQ ${irq.irq}${name} affinity ${irq.affinity === null ? "?" : cpus(irq.affinity)}${eff} (reaches ${hit})`,
      );
      numbers.push(irq.irq);
    }
    if (offenders.length === 0)
      return pass(`${P.irq}: ${irqs.length} IRQs, none on ${cpus(ctx.rtCpus)}`, expected);
    const target = hk.length > 0 ? cpus(hk) : "0";
    return fail(
      `${P.irq}: ${offenders.length} of ${irqs.length} IRQs reach RT CPUs: ${firstFew(offenders)}`,
      expected,
      `for i in ${numbers.join(" ")}; do echo ${target} > ${perNumber(PATHS.irqAffinityList, "$i")}; done; ` +
        `persist with irqaffinity=${target} on the cmdline (managed IRQs cannot be moved: use isolcpus=managed_irq,...)`,
      false,
    );
  },
};

const defaultAffinity: Rule = {
  id: "os.irq-affinity.default",
  area: "os",
  title: "New IRQs default to housekeeping CPUs (default_smp_affinity)",
  roles: ["host", "guest"],
  source: SRC.os("IRQ affinity"),
  check(ctx) {
    if (ctx.rtCpus.length === 0) return noRtSet(ctx, `${P.defaultAffinity} off the RT CPUs`);
    const hk = housekeeping(ctx);
    const expected = `${P.defaultAffinity} within housekeeping ${cpus(hk)}`;
    const d = ctx.host.runtime.defaultIrqAffinity;
    if (d === null) return unknown(`${P.defaultAffinity}: missing`, expected);
    const bad = intersect(d, ctx.rtCpus);
    const evidence = `${P.defaultAffinity}: ${formatCpuMask(d)} (CPUs ${cpus(d)})`;
    if (bad.length === 0) return pass(evidence, expected);
    const target = hk.length > 0 ? hk : [0];
    return fail(
      `${evidence}: includes RT CPUs ${cpus(bad)}`,
      expected,
      DEFAULT_AFFINITY.remedy({ ...auditProfile(ctx), housekeeping: target }, formatCpuMask(target)),
      false,
    );
  },
};

const irqbalance: Rule = {
  id: "os.irq-affinity.irqbalance",
  area: "os",
  title: "irqbalance stopped or banned from the RT CPUs",
  roles: ["host", "guest"],
  source: `${SRC.os("IRQ affinity")}; ${SRC.tuned}`,
  check(ctx) {
    const banned = ctx.host.runtime.irqbalanceBanned;
    const covered = banned !== null && ctx.rtCpus.length > 0 && subtract(ctx.rtCpus, banned).length === 0;
    const running = ctx.host.runtime.irqbalanceRunning;
    const expected = "irqbalance not running, or IRQBALANCE_BANNED_CPULIST covering the RT CPUs";
    const evidence =
      `irqbalance ${running === null ? "state unknown" : running ? "running" : "not running"}; ` +
      `${PATHS.irqbalanceDefaults} banned CPUs: ${banned === null ? "none set" : cpus(banned)}`;
    if (running === false || covered) return pass(evidence, expected);
    const remedy =
      "systemctl disable --now irqbalance" +
      (ctx.rtCpus.length > 0
        ? ` (or set IRQBALANCE_BANNED_CPULIST=${cpus(ctx.rtCpus)} in ${PATHS.irqbalanceDefaults} and restart it)`
        : "");
    if (running === null) return unknown(evidence, expected, remedy);
    return fail(evidence, expected, remedy, false);
  },
};

const iommu: Rule = {
  id: "os.iommu",
  area: "os",
  title: "IOMMU on in passthrough mode for device assignment",
  roles: ["host"],
  source: `${SRC.os("Device assignment for VM")}; ${SRC.bootLine}; ${SRC.vhv}`,
  check(ctx) {
    const { host } = ctx;
    const amd = host.cpu.vendor === "AuthenticAMD";
    const vendorParam = amd ? "amd_iommu" : "intel_iommu";
    const expected = amd
      ? "AMD-Vi on (default), iommu=pt, IOMMU groups present"
      : "intel_iommu=on iommu=pt, IOMMU groups present";
    const { groups, dmarOrIvrs } = host.runtime.iommu;
    const evidence =
      `${paramEvidence(host, vendorParam)}; ${paramEvidence(host, "iommu").replace(`${P.cmdline}: `, "")}; ` +
      `${P.iommuGroups}: ${groups === null ? "missing" : `${groups} groups`}; ACPI ${amd ? "IVRS" : "DMAR"}: ${dmarOrIvrs === null ? "unknown" : dmarOrIvrs ? "present" : "absent"}`;
    if (inVm(host))
      return na(`${evidence} (inside a VM: devices are assigned on the physical host)`, expected);
    const vendorOn = amd
      ? param(host, vendorParam) !== "off"
      : param(host, vendorParam)?.split(",").includes("on");
    const pt = param(host, "iommu") === "pt";
    if (groups === null) return unknown(evidence, expected); // no iommu_groups directory: unknown, not 0 groups
    // an unreadable cmdline says nothing about intel_iommu= or iommu=pt: unknown, never a warning
    if (host.kernel.cmdline === null) return unknown(evidence, expected);
    if (groups > 0 && pt && vendorOn) return pass(evidence, expected);
    const add = [amd || vendorOn ? "" : "intel_iommu=on", pt ? "" : "iommu=pt"]
      .filter((s) => s !== "")
      .join(" ");
    const bios = dmarOrIvrs === false ? `enable ${amd ? "AMD-Vi/IOMMU" : "VT-d"} in the BIOS; ` : "";
    return warn(
      evidence,
      expected,
      `${bios}${add ? cmdlineRemedy(add, ctx.role) : "reboot with the IOMMU enabled"}`,
      true,
    );
  },
};

export const memoryIrqRules: Rule[] = [
  hugepages,
  hugepagesNode,
  irqAffinity,
  defaultAffinity,
  irqbalance,
  iommu,
];
