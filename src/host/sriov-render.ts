/** The SR-IOV lines of `kvm4nfv inspect` (text): one per PF, one per VF, and what vfio needs. */
import type { SriovInfo } from "./sriov.js";

const show = (v: unknown): string => (v === null || v === undefined ? "?" : String(v));
const onOff = (v: boolean | null) => (v === null ? "?" : v ? "on" : "off");

export function renderSriovRows(s: SriovInfo | undefined): [string, string][] {
  if (s === undefined || s.pfs.length === 0) return [];
  const rows: [string, string][] = [
    [
      "SR-IOV",
      `${s.pfs.length} PF(s); vfio-pci ${s.vfioPciLoaded === null ? "?" : s.vfioPciLoaded ? "loaded" : "not loaded"}; ASPM policy ${show(s.aspmPolicy)}; VF options from ${s.vfOptionsSource ?? "nowhere (no ip -d link capture)"}`,
    ],
  ];
  for (const p of s.pfs) {
    rows.push([
      `PF ${p.netdev ?? p.pciAddress}`,
      `${p.pciAddress} ${show(p.vendorId)}:${show(p.deviceId)} (VF ${show(p.vfDeviceId)}) ${show(p.driver)}, NUMA node ${show(p.numaNode)}, link ${show(p.linkState)}, VFs ${show(p.numVfs)}/${show(p.totalVfs)}, autoprobe ${onOff(p.driversAutoprobe)}, IOMMU group ${show(p.iommuGroup)}`,
    ]);
    for (const v of p.vfs) {
      const vfio =
        v.vfio.viable === null
          ? "no IOMMU group"
          : `group ${v.iommuGroup} ${v.vfio.groupWhole ? "whole" : "shared"}, ${v.vfio.viable ? "viable for vfio" : `not viable (${v.vfio.blockers.join(", ")})`}`;
      rows.push([
        `  vf ${v.index}`,
        `${v.pciAddress} ${show(v.driver)}${v.netdev ? ` ${v.netdev}` : ""}, mac ${show(v.mac)}, vlan ${show(v.vlan)}, trust ${onOff(v.trust)}, spoofchk ${onOff(v.spoofchk)}; ${vfio}`,
      ]);
    }
  }
  return rows;
}
