/**
 * libvirt `<interface type='hostdev' managed='yes'>` for VFs: what Nova's libvirt driver writes for a port with
 * vif_type hw_veb (the SR-IOV document §5.B): the VF's PCI address, its MAC and the VLAN the VF is put on.
 * libvirt then sets the VF's MAC/VLAN through the PF (`ip link set PF vf N mac … vlan …`).
 */
import type { SriovVf } from "../../host/sriov.js";
import { xmlEscape } from "../../xml.js";

export interface HostdevInterface {
  vf: Pick<SriovVf, "pciAddress">;
  mac?: string;
  vlan?: number;
}

function pciParts(address: string): [string, string, string, string] {
  const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(address);
  if (!m) throw new Error(`not a PCI address: ${address}`);
  return [m[1] as string, m[2] as string, m[3] as string, m[4] as string];
}

export function emitHostdevInterfaces(ifaces: HostdevInterface[], indent = "    "): string {
  const lines: string[] = [];
  for (const i of ifaces) {
    const [d, b, s, f] = pciParts(i.vf.pciAddress);
    lines.push(`${indent}<interface type='hostdev' managed='yes'>`);
    if (i.mac) lines.push(`${indent}  <mac address='${xmlEscape(i.mac)}'/>`);
    lines.push(
      `${indent}  <source>`,
      `${indent}    <address type='pci' domain='0x${d}' bus='0x${b}' slot='0x${s}' function='0x${f}'/>`,
      `${indent}  </source>`,
    );
    if (i.vlan !== undefined && i.vlan > 0)
      lines.push(`${indent}  <vlan>`, `${indent}    <tag id='${i.vlan}'/>`, `${indent}  </vlan>`);
    lines.push(`${indent}</interface>`);
  }
  return `${lines.join("\n")}\n`;
}
