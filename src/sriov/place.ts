/**
 * `kvm4nfv sriov place`: which nodes can host a request for VFs on physical networks, decided the way Nova's
 * PciPassthroughFilter does (nova/pci/stats.py PciDeviceStats.support_requests): the node's VFs that a device_spec
 * tags with a physical_network are grouped in pools keyed by vendor_id, product_id, numa_node, dev_type and the
 * tags; each requested port (vnic type direct) is one InstancePCIRequest of count 1 with spec
 * {physical_network, dev_type: type-VF}; the node passes when every request can be taken from the free counts.
 * Nova counts a matched VF whatever host driver holds it; PFs are never handed out for VF requests.
 */
import { InputError } from "../errors.js";
import type { SriovInfo, SriovPf } from "../host/sriov.js";

export interface PlaceRequest {
  physnet: string;
  count: number;
}

export interface Pool {
  vendorId: string;
  productId: string;
  numaNode: number | null;
  devType: "type-VF";
  physicalNetwork: string;
  parentIfname: string | null;
  count: number;
  pf: string;
}

export interface NodeVerdict {
  node: string;
  fits: boolean;
  pools: Pool[];
  /** why not, one line per unmet physnet (empty when it fits) */
  reasons: string[];
}

/** "physnet1:2,physnet2:1" → requests (a physnet named twice adds up). */
export function parsePlaceRequest(text: string): PlaceRequest[] {
  const out = new Map<string, number>();
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const m = /^([A-Za-z0-9_.-]+):(\d+)$/.exec(part);
    if (!m || Number(m[2]) === 0)
      throw new InputError("BAD_INPUT", `--request ${part}: expected PHYSNET:COUNT (COUNT ≥ 1)`);
    out.set(m[1] as string, (out.get(m[1] as string) ?? 0) + Number(m[2]));
  }
  if (out.size === 0) throw new InputError("BAD_INPUT", "--request is empty: expected PHYSNET:COUNT[,…]");
  return [...out].map(([physnet, count]) => ({ physnet, count }));
}

/** "physnet1:ens2f0,physnet2:ens2f1" (Neutron's physical_device_mappings form) → physnet → PF netdev. */
export function parseMappings(text: string, where: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const [net, dev, extra] = part.split(":");
    if (!net || !dev || extra !== undefined)
      throw new InputError("BAD_INPUT", `${where}: ${part}: expected PHYSNET:IFACE`);
    if (m.has(net) && m.get(net) !== dev)
      throw new InputError(
        "BAD_INPUT",
        `${where}: physical network ${net} is mapped to both ${m.get(net)} and ${dev}`,
      );
    m.set(net, dev);
  }
  return m;
}

/** physical_device_mappings from an sriov_agent.ini text, or undefined. */
export function mappingsFromAgentIni(text: string): string | undefined {
  let section = "";
  for (const line of text.split("\n")) {
    const s = line.trim();
    const sec = /^\[(.+)\]$/.exec(s);
    if (sec) section = sec[1] ?? "";
    const kv = /^physical_device_mappings\s*=\s*(.*)$/.exec(s);
    if (kv && section === "sriov_nic") return kv[1];
  }
  return undefined;
}

function poolsOf(info: SriovInfo, mappings: Map<string, string>): { pools: Pool[]; problems: string[] } {
  const pools: Pool[] = [];
  const problems: string[] = [];
  for (const [physnet, dev] of mappings) {
    const pf: SriovPf | undefined = info.pfs.find((p) => p.netdev === dev || p.pciAddress === dev);
    if (!pf) {
      problems.push(`${physnet}: ${dev} is not an SR-IOV PF on this node`);
      continue;
    }
    // Nova's pool key: vendor_id, product_id, numa_node, dev_type + tags (+ parent_ifname libvirt reports).
    const count = pf.vfs.length;
    if (count === 0) {
      problems.push(`${physnet}: ${dev} has no VFs enabled (sriov_numvfs 0 of ${pf.totalVfs ?? "?"})`);
      continue;
    }
    pools.push({
      vendorId: pf.vendorId ?? "",
      productId: pf.vfDeviceId ?? pf.vfs[0]?.deviceId ?? "",
      numaNode: pf.numaNode,
      devType: "type-VF",
      physicalNetwork: physnet,
      parentIfname: pf.netdev,
      count,
      pf: `${pf.netdev ?? "?"} (${pf.pciAddress})`,
    });
  }
  return { pools, problems };
}

export function placeOnNode(
  node: string,
  info: SriovInfo,
  mappings: Map<string, string>,
  req: PlaceRequest[],
): NodeVerdict {
  const { pools, problems } = poolsOf(info, mappings);
  const reasons: string[] = [];
  for (const r of req) {
    const matching = pools.filter((p) => p.physicalNetwork === r.physnet);
    const free = matching.reduce((n, p) => n + p.count, 0);
    if (free >= r.count) continue;
    const why = problems
      .filter((p) => p.startsWith(`${r.physnet}:`))
      .map((p) => p.slice(r.physnet.length + 2));
    if (matching.length === 0 && why.length === 0)
      reasons.push(`${r.physnet}: no device_spec tags a VF with this physical network`);
    else
      reasons.push(
        `${r.physnet}: ${r.count} VF(s) requested, ${free} free${matching.length ? ` in ${matching.map((p) => `${p.pf} NUMA ${p.numaNode ?? "?"}`).join(", ")}` : ""}${why.length ? ` (${why.join("; ")})` : ""}`,
      );
  }
  return { node, fits: reasons.length === 0, pools, reasons };
}

export function renderPlacement(verdicts: NodeVerdict[], req: PlaceRequest[]): string {
  const lines = [
    `request: ${req.map((r) => `${r.count} × VF on ${r.physnet}`).join(", ")} (PciPassthroughFilter)`,
  ];
  for (const v of verdicts) {
    lines.push(`${v.fits ? "FITS   " : "NO     "} ${v.node}`);
    for (const p of v.pools)
      lines.push(
        `         pool ${p.vendorId}:${p.productId} NUMA ${p.numaNode ?? "?"} ${p.devType} physical_network=${p.physicalNetwork} free ${p.count} — ${p.pf}`,
      );
    for (const r of v.reasons) lines.push(`         why not: ${r}`);
  }
  const fits = verdicts.filter((v) => v.fits).map((v) => v.node);
  lines.push(fits.length ? `nodes that can host it: ${fits.join(", ")}` : "no node can host it");
  return `${lines.join("\n")}\n`;
}
