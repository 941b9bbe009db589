/**
 * SR-IOV readiness (the SR-IOV design document, seed 004 §1, and the KVM4NFV rule that the NIC, the RT CPUs and
 * the hugepages sit on one NUMA node). Every rule is n/a on a host without an SR-IOV physical function, and reads
 * only host.sriov (src/host/sriov.ts).
 */
import type { Host } from "../../host/model.js";
import type { SriovInfo, SriovPf } from "../../host/sriov.js";
import { cmdlineRemedy, cpus, fail, inVm, na, param, pass, rtNodes, SRC, unknown, warn } from "./helpers.js";
import type { Rule, RuleContext, Verdict } from "./types.js";

const SEED = (item: string) => `seed 004 §1 Enabling SRIOV on compute node: ${item}`;
const NO_PF = "no SR-IOV physical function (no PCI device with sriov_totalvfs)";

function sriovOf(host: Host): SriovInfo | undefined {
  return host.sriov;
}

/** Run `check` only when the host has PFs; n/a otherwise. */
function withPfs(ctx: RuleContext, expected: string, check: (s: SriovInfo) => Verdict): Verdict {
  const s = sriovOf(ctx.host);
  if (s === undefined) return unknown("SR-IOV state was not read", expected);
  if (s.pfs.length === 0) return na(NO_PF, expected);
  return check(s);
}

const pfName = (pf: SriovPf) => `${pf.netdev ?? "?"} (${pf.pciAddress})`;

const iommuForVfs: Rule = {
  id: "os.sriov.iommu",
  area: "os",
  title: "IOMMU on in passthrough mode for the VFs",
  roles: ["host"],
  source: `${SEED("B, iommu=pt intel_iommu=on")}`,
  check(ctx) {
    const amd = ctx.host.cpu.vendor === "AuthenticAMD";
    const expected = amd ? "amd_iommu not off and iommu=pt" : "intel_iommu=on and iommu=pt";
    return withPfs(ctx, expected, (s) => {
      const vendorParam = amd ? "amd_iommu" : "intel_iommu";
      const v = param(ctx.host, vendorParam);
      const pt = param(ctx.host, "iommu");
      const evidence = `/proc/cmdline: ${vendorParam}=${v ?? "absent"}, iommu=${pt ?? "absent"}; ${s.groups.length} IOMMU group(s) hold a PF or VF`;
      // an unreadable cmdline is not a cmdline without the IOMMU: unknown, never "intel_iommu=absent"
      if (v === null)
        return unknown(evidence.replace(/^\/proc\/cmdline: [^;]*/, "/proc/cmdline: unreadable"), expected);
      const on = amd ? v !== "off" : (v ?? "").split(",").includes("on");
      if (on && pt === "pt") return pass(evidence, expected);
      const add = [on ? "" : amd ? "amd_iommu=on" : "intel_iommu=on", pt === "pt" ? "" : "iommu=pt"]
        .filter(Boolean)
        .join(" ");
      const verdict = on ? warn : fail;
      return verdict(
        `${evidence}${on ? "" : " — without the IOMMU a VF cannot be given to a guest through vfio"}`,
        expected,
        `${cmdlineRemedy(add, ctx.role)} (iommu=pt keeps host DMA off the IOMMU's translation path)`,
        true,
      );
    });
  },
};

const vfsEnabled: Rule = {
  id: "os.sriov.vfs",
  area: "os",
  title: "VFs enabled on the SR-IOV NICs",
  roles: ["host"],
  source: SEED("C, echo N > /sys/class/net/IF/device/sriov_numvfs"),
  check(ctx) {
    const expected = "sriov_numvfs > 0 on the PFs meant for SR-IOV (at most sriov_totalvfs)";
    return withPfs(ctx, expected, (s) => {
      const evidence = s.pfs
        .map((p) => `${pfName(p)} ${p.numVfs ?? "?"}/${p.totalVfs ?? "?"} VFs`)
        .join("; ");
      // A PF left at 0 next to one with VFs is a port not meant for SR-IOV: only a host with no VF at all warns.
      const none = s.pfs.filter((p) => p.numVfs === 0);
      if (s.pfs.some((p) => (p.numVfs ?? 0) > 0)) return pass(evidence, expected);
      const first = none[0] as SriovPf;
      const n = Math.min(first.totalVfs ?? 1, 7);
      return warn(
        evidence,
        expected,
        `echo 0 > /sys/bus/pci/devices/${first.pciAddress}/sriov_numvfs; echo ${n} > /sys/bus/pci/devices/${first.pciAddress}/sriov_numvfs (0 first: the kernel answers EBUSY to a change between two non-zero counts; at most sriov_totalvfs = ${first.totalVfs ?? "?"})`,
        false,
      );
    });
  },
};

const vfioLoaded: Rule = {
  id: "os.sriov.vfio-pci",
  area: "os",
  title: "vfio-pci available for VFs given to DPDK or to guests as hostdev",
  roles: ["host"],
  source: `${SRC.os("Device assignment for VM")}; sriov reference: driver_override=vfio-pci, unbind, drivers_probe`,
  check(ctx) {
    const expected = "vfio-pci loaded when a VF is bound to it or meant for a guest";
    return withPfs(ctx, expected, (s) => {
      const bound = s.pfs.flatMap((p) => p.vfs.filter((v) => v.driver === "vfio-pci"));
      const evidence = `/sys/module/vfio_pci: ${s.vfioPciLoaded === null ? "unknown" : s.vfioPciLoaded ? "loaded" : "not loaded"}; ${bound.length} VF(s) bound to vfio-pci`;
      if (s.vfioPciLoaded === true) return pass(evidence, expected);
      if (s.vfioPciLoaded === null) return unknown(evidence, expected);
      return warn(
        evidence,
        expected,
        "modprobe vfio-pci (and add vfio-pci to /etc/modules-load.d/ to keep it)",
        false,
      );
    });
  },
};

const groupsViable: Rule = {
  id: "os.sriov.iommu-groups",
  area: "os",
  title: "IOMMU groups of vfio-pci VFs are whole and viable",
  roles: ["host"],
  source: `${SRC.os("Device assignment for VM")}; sriov reference: an iommu_group must go whole to vfio`,
  check(ctx) {
    const expected = "every device sharing a vfio-pci VF's IOMMU group bound to vfio-pci (or none)";
    return withPfs(ctx, expected, (s) => {
      const vfs = s.pfs.flatMap((p) => p.vfs.filter((v) => v.driver === "vfio-pci"));
      if (vfs.length === 0) return na("no VF is bound to vfio-pci", expected);
      const bad = vfs.filter((v) => v.vfio.viable === false);
      const unknownGroup = vfs.filter((v) => v.iommuGroup === null);
      const evidence = vfs
        .map((v) => `${v.pciAddress} group ${v.iommuGroup ?? "none"}${v.vfio.groupWhole ? " (alone)" : ""}`)
        .join("; ");
      if (bad.length > 0) {
        const b = bad[0];
        return fail(
          `${evidence}; group ${b?.iommuGroup} also holds ${b?.vfio.blockers.join(", ")} — vfio refuses a group that is not viable`,
          expected,
          "put the NIC in a slot behind a root port with ACS (or one whose groups split per function), or bind every device of the group to vfio-pci; pcie_acs_override is not in mainline and defeats isolation",
          false,
        );
      }
      if (unknownGroup.length > 0)
        return fail(
          `${evidence}: no IOMMU group (IOMMU off)`,
          expected,
          cmdlineRemedy("intel_iommu=on iommu=pt", ctx.role),
          true,
        );
      return pass(evidence, expected);
    });
  },
};

const nicNuma: Rule = {
  id: "os.sriov.numa",
  area: "os",
  title: "SR-IOV NIC on the RT CPUs' NUMA node",
  roles: ["host"],
  source: `${SRC.os("NUMA")}; ${SRC.original} (numa_node of the NIC)`,
  check(ctx) {
    const expected = "the PF's numa_node is the node of the RT CPUs (and of their hugepages)";
    return withPfs(ctx, expected, (s) => {
      const nodes = rtNodes(ctx);
      const used = s.pfs.filter((p) => (p.numVfs ?? 0) > 0);
      const pfs = used.length > 0 ? used : s.pfs;
      const evidence = `${pfs.map((p) => `${pfName(p)} numa_node ${p.numaNode ?? "unknown"}`).join("; ")}; RT CPUs ${ctx.rtCpus.length ? cpus(ctx.rtCpus) : "none"} on node(s) ${nodes.join(",") || "none"}`;
      if (nodes.length === 0) return unknown(evidence, expected, "give the RT CPUs (--cpus) to compare");
      const unknownNode = pfs.filter((p) => p.numaNode === null);
      const far = pfs.filter((p) => p.numaNode !== null && !nodes.includes(p.numaNode));
      if (far.length > 0) {
        const n = far[0]?.numaNode as number;
        const nodeCpus = ctx.host.topology.numaNodes.find((x) => x.id === n)?.cpus ?? [];
        return warn(
          evidence,
          expected,
          `put the RT CPUs and their hugepages on node ${n}${nodeCpus.length ? ` (CPUs ${cpus(nodeCpus)}; keep one core for housekeeping): kvm4nfv plan --role host --cpus <whole cores of ${cpus(nodeCpus)}>` : ""}, or move the NIC to a slot of node ${nodes.join(",")}: otherwise every packet crosses the inter-socket link`,
          true,
        );
      }
      if (unknownNode.length > 0) return unknown(evidence, expected);
      return pass(evidence, expected);
    });
  },
};

const aspm: Rule = {
  id: "platform.aspm",
  area: "platform",
  title: "PCIe ASPM: the SR-IOV document and the low-latency host line disagree",
  roles: ["host"],
  source: `${SEED("A, enable ASPM in the BIOS")}; ${SRC.bootLine} (pcie_aspm=off)`,
  check(ctx) {
    const expected =
      "pcie_aspm=off on the cmdline (or pcie_aspm policy 'performance') for real-time; the BIOS may still expose ASPM";
    const why =
      "The SR-IOV document asks to enable ASPM in the BIOS (some boards only show their SR-IOV/ARI options with it); " +
      "the KVM4NFV low-latency host line sets pcie_aspm=off. They do not conflict: the BIOS option makes ASPM " +
      "available, pcie_aspm=off stops Linux from entering L0s/L1. With ASPM active each link wake costs " +
      "microseconds (L1 exit latency is specified up to 64 µs) on the DMA and interrupt path of every VF; with it " +
      "off the links never sleep, which costs a few watts per link.";
    const s = sriovOf(ctx.host);
    const cmd = param(ctx.host, "pcie_aspm");
    const evidence = `/proc/cmdline: pcie_aspm=${cmd ?? "absent"}; /sys/module/pcie_aspm/parameters/policy: ${s?.aspmPolicy ?? "unknown"}`;
    if (inVm(ctx.host)) return na(`${evidence} (inside a VM: the physical host owns the links)`, expected);
    if (cmd === "off" || s?.aspmPolicy === "performance") return pass(`${evidence}. ${why}`, expected);
    if (s === undefined || (s.pfs.length === 0 && cmd === undefined && s.aspmPolicy === null))
      return unknown(evidence, expected);
    return warn(`${evidence}. ${why}`, expected, cmdlineRemedy("pcie_aspm=off", ctx.role), true);
  },
};

export const sriovRules: Rule[] = [aspm, iommuForVfs, vfsEnabled, vfioLoaded, groupsViable, nicNuma];
