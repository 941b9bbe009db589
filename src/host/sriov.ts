/**
 * SR-IOV discovery: every physical function (a PCI device with sriov_totalvfs), its virtual functions
 * (virtfnN links), their drivers and IOMMU groups, and what vfio needs, read through the HostFs seam the way the
 * kernel lays it out (Documentation/ABI/testing/sysfs-bus-pci, drivers/pci/iov.c). VF MAC/VLAN/trust/spoofchk come
 * from `ip -d link show` (a snapshot keeps it at kvm4nfv/ip-d-link-show.txt); without it they are unknown (null).
 * Reads never throw: what cannot be read is null.
 */
import type { HostFs } from "./fs.js";
import { readInt, readValue } from "./read-util.js";
import { parseIpLinkVfs, type VfOptions } from "./sriov-iplink.js";

/** Where a snapshot keeps `ip -d link show` (VF options are not in sysfs). */
export const IP_LINK_CAPTURE = "/kvm4nfv/ip-d-link-show.txt";

export interface SriovVf {
  index: number;
  pciAddress: string;
  deviceId: string | null;
  driver: string | null;
  /** driver_override ("(null)" → null) */
  driverOverride: string | null;
  netdev: string | null;
  iommuGroup: number | null;
  mac: string | null;
  vlan: number | null;
  qos: number | null;
  trust: boolean | null;
  spoofchk: boolean | null;
  linkState: string | null;
  /** Can this VF go to a guest through vfio: its whole IOMMU group must be bound to vfio-pci (or unbound). */
  vfio: { groupWhole: boolean | null; viable: boolean | null; blockers: string[] };
}

export interface SriovPf {
  pciAddress: string;
  vendorId: string | null;
  deviceId: string | null;
  vfDeviceId: string | null;
  driver: string | null;
  netdev: string | null;
  numaNode: number | null;
  /** operstate of the PF netdev: up, down, … */
  linkState: string | null;
  totalVfs: number | null;
  numVfs: number | null;
  driversAutoprobe: boolean | null;
  offset: number | null;
  stride: number | null;
  iommuGroup: number | null;
  vfs: SriovVf[];
}

export interface IommuGroupMember {
  pciAddress: string;
  driver: string | null;
}

export interface SriovInfo {
  pfs: SriovPf[];
  /** The IOMMU groups that hold a PF or VF, with every member. */
  groups: { id: number; members: IommuGroupMember[] }[];
  /** vfio-pci loaded (/sys/module/vfio_pci or the driver registered); null when modules cannot be listed. */
  vfioPciLoaded: boolean | null;
  /** pcie_aspm's policy (the [selected] one), null when unreadable. */
  aspmPolicy: string | null;
  /** Where VF options came from ("ip -d link show" capture path), null when not available. */
  vfOptionsSource: string | null;
}

const PCI_ADDRESS = /^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;
/** Drivers that leave a group usable by vfio (vfio-pci itself, pci-stub, bridges' pcieport). */
const VFIO_FRIENDLY = new Set(["vfio-pci", "pci-stub", "pcieport"]);

const base = (p: string | undefined) => p?.split("/").pop();

function hexId(fs: HostFs, path: string): string | null {
  const v = readValue(fs, path);
  if (v === null) return null;
  const m = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(v);
  return m?.[1] ? m[1].toLowerCase().padStart(4, "0") : null;
}

/** The symlinks first; uevent where a saved snapshot (inspect --save) turned them into plain directories. */
function ueventField(fs: HostFs, dev: string, key: string): string | undefined {
  return new RegExp(`^${key}=(\\S+)$`, "m").exec(fs.read(`${dev}/uevent`) ?? "")?.[1];
}

// uevent is read first, always, so that a capture (which records reads, not links) keeps it.
function driverOf(fs: HostFs, dev: string): string | null {
  const fromUevent = ueventField(fs, dev, "DRIVER");
  return base(fs.readlink(`${dev}/driver`)) ?? fromUevent ?? null;
}

function addressOf(fs: HostFs, dev: string): string {
  const fromUevent = ueventField(fs, dev, "PCI_SLOT_NAME");
  return base(fs.readlink(dev)) ?? fromUevent ?? "";
}

function groupOf(fs: HostFs, dev: string, address: string): number | null {
  const g = base(fs.readlink(`${dev}/iommu_group`));
  if (g !== undefined && /^\d+$/.test(g)) return Number(g);
  // No link (a saved snapshot): the group whose devices/ lists this address.
  if (address === "") return null;
  for (const id of fs.list("/sys/kernel/iommu_groups") ?? []) {
    if (/^\d+$/.test(id) && (fs.list(`/sys/kernel/iommu_groups/${id}/devices`) ?? []).includes(address))
      return Number(id);
  }
  return null;
}

function netdevOf(fs: HostFs, dev: string): string | null {
  // Dot-names are not interfaces (a saved snapshot keeps empty directories with a .kvm4nfv-keep marker).
  const names = (fs.list(`${dev}/net`) ?? []).filter((n) => !n.startsWith("."));
  return names.length > 0 ? ([...names].sort()[0] ?? null) : null;
}

/** Every PCI device directory that is a PF: /sys/bus/pci/devices/*, plus /sys/class/net/X/device. */
function findPfDirs(fs: HostFs): Map<string, string> {
  const found = new Map<string, string>();
  for (const a of (fs.list("/sys/bus/pci/devices") ?? []).sort()) {
    const dev = `/sys/bus/pci/devices/${a}`;
    if (PCI_ADDRESS.test(a) && fs.exists(`${dev}/sriov_totalvfs`)) found.set(a, dev);
  }
  for (const iface of (fs.list("/sys/class/net") ?? []).sort()) {
    const dev = `/sys/class/net/${iface}/device`;
    if (!fs.exists(`${dev}/sriov_totalvfs`)) continue;
    const slot = /PCI_SLOT_NAME=(\S+)/.exec(fs.read(`${dev}/uevent`) ?? "")?.[1] ?? base(fs.readlink(dev));
    if (slot !== undefined && PCI_ADDRESS.test(slot) && !found.has(slot)) found.set(slot, dev);
  }
  return found;
}

function readGroup(fs: HostFs, id: number): IommuGroupMember[] {
  const dir = `/sys/kernel/iommu_groups/${id}/devices`;
  return (fs.list(dir) ?? []).sort().map((a) => ({ pciAddress: a, driver: driverOf(fs, `${dir}/${a}`) }));
}

function vfioView(
  self: string,
  group: number | null,
  groups: Map<number, IommuGroupMember[]>,
): SriovVf["vfio"] {
  if (group === null) return { groupWhole: null, viable: null, blockers: [] };
  const members = groups.get(group) ?? [];
  const others = members.filter((m) => m.pciAddress !== self);
  const blockers = others
    .filter((m) => m.driver !== null && !VFIO_FRIENDLY.has(m.driver))
    .map((m) => `${m.pciAddress} (${m.driver})`);
  return { groupWhole: others.length === 0, viable: blockers.length === 0, blockers };
}

function readModulesLoaded(fs: HostFs): boolean | null {
  if (fs.exists("/sys/module/vfio_pci") || fs.exists("/sys/bus/pci/drivers/vfio-pci")) return true;
  return fs.list("/sys/module") === undefined ? null : false;
}

function aspmPolicy(fs: HostFs): string | null {
  const v = readValue(fs, "/sys/module/pcie_aspm/parameters/policy");
  return v === null ? null : (/\[(\w+)\]/.exec(v)?.[1] ?? null);
}

/**
 * Read SR-IOV state. `ipLink` is `ip -d link show`'s output when the caller has it (live); a snapshot's capture
 * is read from IP_LINK_CAPTURE.
 */
export function readSriov(fs: HostFs, ipLink?: string): SriovInfo {
  const ipText = ipLink ?? fs.read(IP_LINK_CAPTURE);
  const vfOpts = ipText === undefined ? new Map<string, VfOptions[]>() : parseIpLinkVfs(ipText);
  const groups = new Map<number, IommuGroupMember[]>();
  const group = (id: number | null) => {
    if (id !== null && !groups.has(id)) groups.set(id, readGroup(fs, id));
    return id;
  };
  const pfs: SriovPf[] = [];
  for (const [address, dev] of findPfDirs(fs)) {
    const netdev = netdevOf(fs, dev);
    const opts = netdev === null ? undefined : vfOpts.get(netdev);
    const autoprobe = readInt(fs, `${dev}/sriov_drivers_autoprobe`);
    const numa = readInt(fs, `${dev}/numa_node`);
    const vfIndexes = (fs.list(dev) ?? [])
      .map((n) => /^virtfn(\d+)$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const vfs = vfIndexes.map((index): SriovVf => {
      const vdev = `${dev}/virtfn${index}`;
      const o = opts?.find((x) => x.vf === index);
      const override = readValue(fs, `${vdev}/driver_override`);
      const pciAddress = addressOf(fs, vdev);
      return {
        index,
        pciAddress,
        deviceId: hexId(fs, `${vdev}/device`),
        driver: driverOf(fs, vdev),
        driverOverride: override === null || override === "(null)" ? null : override,
        netdev: netdevOf(fs, vdev),
        iommuGroup: group(groupOf(fs, vdev, pciAddress)),
        mac: o?.mac ?? null,
        vlan: o?.vlan ?? null,
        qos: o?.qos ?? null,
        trust: o?.trust ?? null,
        spoofchk: o?.spoofchk ?? null,
        linkState: o?.linkState ?? null,
        vfio: { groupWhole: null, viable: null, blockers: [] },
      };
    });
    pfs.push({
      pciAddress: address,
      vendorId: hexId(fs, `${dev}/vendor`),
      deviceId: hexId(fs, `${dev}/device`),
      vfDeviceId: hexId(fs, `${dev}/sriov_vf_device`),
      driver: driverOf(fs, dev),
      netdev,
      numaNode: numa === null || numa < 0 ? null : numa,
      linkState: netdev === null ? null : readValue(fs, `/sys/class/net/${netdev}/operstate`),
      totalVfs: readInt(fs, `${dev}/sriov_totalvfs`),
      numVfs: readInt(fs, `${dev}/sriov_numvfs`),
      driversAutoprobe: autoprobe === null ? null : autoprobe !== 0,
      offset: readInt(fs, `${dev}/sriov_offset`),
      stride: readInt(fs, `${dev}/sriov_stride`),
      iommuGroup: group(groupOf(fs, dev, address)),
      vfs,
    });
  }
  for (const pf of pfs) for (const vf of pf.vfs) vf.vfio = vfioView(vf.pciAddress, vf.iommuGroup, groups);
  return {
    pfs,
    groups: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([id, members]) => ({ id, members })),
    vfioPciLoaded: readModulesLoaded(fs),
    aspmPolicy: aspmPolicy(fs),
    vfOptionsSource: ipText === undefined ? null : ipLink !== undefined ? "ip -d link show" : IP_LINK_CAPTURE,
  };
}
