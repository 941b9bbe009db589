/**
 * The SR-IOV half of the catalogue (the SR-IOV design document, seed 004 §1.C "Enable SR-IOV on the NIC", and the
 * vfio-pci binding a DPDK or passthrough guest needs): one entry per setting, planned once per PF of `plan
 * --sriov`. The targets are patterns over the PF's PCI address (`*`), so `check --against` finds the entry of a
 * concrete path. `check` audits these through rules/sriov.ts (os.sriov.vfs, os.sriov.vfio-pci), not from here.
 *
 * Order matters and is the catalogue's: sriov_drivers_autoprobe before sriov_numvfs (so VFs meant for vfio-pci
 * are never probed by iavf/mlx5_core first), sriov_numvfs before the VF binding (the VFs exist only then).
 */
import type { PciDriverItem, RuntimeItem, SriovPfPlan, SriovVfsItem, WriteItem } from "../plan-types.js";
import type { Profile, Setting } from "./types.js";

const HOST = ["host"] as const;
const SEED = "seed 004 §1.C Enabling SR-IOV on the NIC";

/** The one PF a per-PF profile is about (sriovItems gives each setting a profile with one PF). */
function onePf(p: Profile): SriovPfPlan | null {
  return p.sriov?.length === 1 ? (p.sriov[0] ?? null) : null;
}

const pfDir = (p: Profile) => `/sys/bus/pci/devices/${onePf(p)?.pf ?? "*"}`;
const name = (pf: SriovPfPlan | null) =>
  pf === null ? "the PF" : pf.netdev === null ? pf.pf : `${pf.netdev} (${pf.pf})`;

export const SRIOV_SETTINGS: readonly Setting[] = [
  {
    key: "sriov.drivers-autoprobe",
    kind: "sysfs",
    target: "/sys/bus/pci/devices/*/sriov_drivers_autoprobe",
    path: (p) => `${pfDir(p)}/sriov_drivers_autoprobe`,
    roles: HOST,
    // only for VFs that go to vfio-pci: netdevice VFs want their VF driver probed as usual
    desired: (p) => (onePf(p)?.driver === "vfio-pci" ? "0" : null),
    compare: "int",
    level: "warn",
    reboot: false,
    why: (p) =>
      `Documentation/ABI/testing/sysfs-bus-pci sriov_drivers_autoprobe: VFs of ${name(onePf(p))} are bound to ` +
      "vfio-pci explicitly, so the kernel must not probe their VF driver first (a netdev that comes and goes)",
    remedy: (p, d) => `echo ${d} > ${pfDir(p)}/sriov_drivers_autoprobe`,
    auditedBy: "os.sriov.vfio-pci (rules/sriov.ts)",
  },
  {
    key: "sriov.numvfs",
    kind: "sriov-vfs",
    target: "/sys/bus/pci/devices/*/sriov_numvfs",
    path: (p) => `${pfDir(p)}/sriov_numvfs`,
    roles: HOST,
    desired: (p) => {
      const pf = onePf(p);
      return pf === null ? null : String(pf.vfs);
    },
    compare: "int",
    level: "warn",
    reboot: false,
    why: (p) =>
      `${SEED}: echo ${onePf(p)?.vfs ?? "N"} > sriov_numvfs on ${name(onePf(p))}; 0 first when another count is ` +
      "enabled (the kernel answers EBUSY otherwise)",
    remedy: (p, d) => `echo 0 > ${pfDir(p)}/sriov_numvfs; echo ${d} > ${pfDir(p)}/sriov_numvfs`,
    auditedBy: "os.sriov.vfs (rules/sriov.ts)",
  },
  {
    key: "sriov.vf-driver",
    kind: "pci-driver",
    target: "/sys/bus/pci/devices/*/virtfn*/driver_override",
    roles: HOST,
    desired: (p) => onePf(p)?.driver ?? null,
    compare: "text",
    level: "warn",
    reboot: false,
    why: (p) =>
      `VFs of ${name(onePf(p))} for a DPDK or passthrough guest: driver_override=vfio-pci, unbind, ` +
      "drivers_probe (Documentation/ABI/testing/sysfs-bus-pci; the whole IOMMU group must be vfio's)",
    remedy: (p, d) =>
      `for vf in ${pfDir(p)}/virtfn*; do echo ${d} > $vf/driver_override; ` +
      "[ -e $vf/driver ] && basename $(readlink $vf) > $vf/driver/unbind; " +
      "basename $(readlink $vf) > /sys/bus/pci/drivers_probe; done",
    auditedBy: "os.sriov.vfio-pci (rules/sriov.ts)",
  },
];

/** The plan items of one setting for one PF's profile; null when the profile does not ask for it. */
function itemOf(s: Setting, p: Profile, pf: SriovPfPlan): RuntimeItem | null {
  const value = s.desired(p);
  if (value === null) return null;
  const why = typeof s.why === "string" ? s.why : s.why(p);
  if (s.kind === "sriov-vfs") {
    const item: SriovVfsItem = { kind: "sriov-vfs", pf: pf.pf, count: Number(value), why };
    return item;
  }
  if (s.kind === "pci-driver") {
    const item: PciDriverItem = { kind: "pci-driver", pf: pf.pf, driver: value, why };
    return item;
  }
  const item: WriteItem = { kind: "write", path: s.path?.(p) ?? s.target, value, compare: s.compare, why };
  return item;
}

/** Every SR-IOV item of the profile: per PF, in catalogue order (autoprobe, VF count, VF driver). */
export function sriovItems(p: Profile): RuntimeItem[] {
  if (p.role !== "host") return [];
  return (p.sriov ?? []).flatMap((pf) => {
    const one: Profile = { ...p, sriov: [pf] };
    return SRIOV_SETTINGS.flatMap((s) => {
      const item = itemOf(s, one, pf);
      return item === null ? [] : [item];
    });
  });
}
