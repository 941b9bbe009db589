/**
 * What the user asks of SR-IOV: `--sriov IFACE:VFS:PHYSNET[,…]` (or the SR-IOV document's testbed `env.sriov`
 * stanza, see testbed.ts), resolved against the host's PFs. Bad input is an InputError (exit 2) naming the item.
 */
import { InputError } from "../errors.js";
import type { SriovInfo, SriovPf } from "../host/sriov.js";

export type VfDeviceType = "netdevice" | "vfio-pci";

export interface SriovItem {
  /** PF netdev name or PCI address, as given */
  iface: string;
  vfs: number;
  physnets: string[];
  deviceType: VfDeviceType;
  vlan?: number;
}

export interface SriovAssignment extends SriovItem {
  pf: SriovPf;
}

const PHYSNET = /^[A-Za-z0-9_.-]+$/;

/** "ens2f0:8:physnet1[:vfio-pci]" items, comma-separated. */
export function parseSriovFlag(text: string): SriovItem[] {
  const items: SriovItem[] = [];
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    // A PCI address has colons itself: take it whole when the item starts with one.
    const pci = /^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]):(.*)$/i.exec(part);
    const [iface, rest] = pci
      ? [pci[1] as string, (pci[2] as string).split(":")]
      : ((): [string, string[]] => {
          const f = part.split(":");
          return [f[0] ?? "", f.slice(1)];
        })();
    const [vfs, physnet, type] = rest;
    if (!iface || vfs === undefined || physnet === undefined || !/^\d+$/.test(vfs)) {
      throw new InputError("BAD_INPUT", `--sriov ${part}: expected IFACE:VFS:PHYSNET[:netdevice|vfio-pci]`);
    }
    if (!PHYSNET.test(physnet))
      throw new InputError("BAD_INPUT", `--sriov ${part}: bad physical network name "${physnet}"`);
    if (type !== undefined && type !== "netdevice" && type !== "vfio-pci")
      throw new InputError(
        "BAD_INPUT",
        `--sriov ${part}: device type must be netdevice or vfio-pci, not "${type}"`,
      );
    items.push({
      iface,
      vfs: Number(vfs),
      physnets: [physnet],
      deviceType: (type as VfDeviceType) ?? "netdevice",
    });
  }
  if (items.length === 0)
    throw new InputError("BAD_INPUT", "--sriov is empty: expected IFACE:VFS:PHYSNET[,…]");
  return items;
}

/** Match items to PFs and refuse what the kernel or Nova would refuse. */
export function resolveSriov(items: SriovItem[], info: SriovInfo, where = "--sriov"): SriovAssignment[] {
  const out: SriovAssignment[] = [];
  const ifaceOfPhysnet = new Map<string, string>();
  const seen = new Set<string>();
  for (const it of items) {
    const pf = info.pfs.find((p) => p.netdev === it.iface || p.pciAddress === it.iface);
    if (!pf) {
      const known = info.pfs.map((p) => p.netdev ?? p.pciAddress).join(", ") || "none";
      throw new InputError(
        "BAD_INPUT",
        `${where}: ${it.iface} is not an SR-IOV physical function (PFs here: ${known})`,
      );
    }
    if (seen.has(pf.pciAddress)) throw new InputError("BAD_INPUT", `${where}: ${it.iface} is named twice`);
    seen.add(pf.pciAddress);
    if (pf.totalVfs !== null && it.vfs > pf.totalVfs) {
      throw new InputError(
        "BAD_INPUT",
        `${where}: ${it.iface} supports at most ${pf.totalVfs} VFs (sriov_totalvfs), ${it.vfs} asked (the kernel answers ERANGE)`,
      );
    }
    for (const net of it.physnets) {
      const other = ifaceOfPhysnet.get(net);
      if (other !== undefined && other !== pf.pciAddress) {
        const otherName = info.pfs.find((p) => p.pciAddress === other)?.netdev ?? other;
        throw new InputError(
          "BAD_INPUT",
          `${where}: physical network ${net} is mapped to both ${otherName} and ${it.iface} (Neutron's physical_device_mappings takes one interface per physnet)`,
        );
      }
      ifaceOfPhysnet.set(net, pf.pciAddress);
    }
    out.push({ ...it, pf });
  }
  return out;
}
