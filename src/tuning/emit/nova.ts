/**
 * nova.conf for SR-IOV (the SR-IOV design document §2.A/§2.B, in the form the chosen Nova release reads):
 * the PCI device spec that tags each PF's VFs with their physical network, one alias per physnet (for flavors
 * asking `pci_passthrough:alias`), and the scheduler filter list with PciPassthroughFilter.
 *   Zed (26) and later: [pci] device_spec;  Newton (14) … Yoga (25): [pci] passthrough_whitelist;
 *   before Newton: [DEFAULT] pci_passthrough_whitelist.  Ocata (15) and later: [filter_scheduler]
 *   enabled_filters/available_filters; before: [DEFAULT] scheduler_default_filters (the document's form).
 */
import { InputError } from "../../errors.js";
import type { SriovAssignment } from "../../sriov/request.js";

const NAMES = [
  "austin bexar cactus diablo essex folsom grizzly havana icehouse juno kilo liberty mitaka newton ocata pike queens",
  "rocky stein train ussuri victoria wallaby xena yoga zed antelope bobcat caracal dalmatian epoxy flamingo",
].join(" ");
const RELEASES = NAMES.split(" ");
/** Dated names from 2023.1 (antelope, 27) on. */
const DATED: Record<string, number> = {
  "2023.1": 27,
  "2023.2": 28,
  "2024.1": 29,
  "2024.2": 30,
  "2025.1": 31,
  "2025.2": 32,
};

export const DEFAULT_RELEASE = "2025.1";

/** Nova's major version (Newton = 14, Zed = 26, 2025.1 Epoxy = 31) from a release name, number or date name. */
export function novaMajor(release: string): number {
  const r = release.trim().toLowerCase();
  if (/^\d+$/.test(r) && Number(r) >= 1 && Number(r) <= 40) return Number(r);
  if (DATED[r] !== undefined) return DATED[r];
  const i = RELEASES.indexOf(r);
  if (i >= 0) return i + 1;
  throw new InputError(
    "BAD_INPUT",
    `--openstack-release ${release}: unknown (a name like zed or yoga, a date name like 2024.1, or Nova's major version)`,
  );
}

/** The JSON one device_spec line carries: the PF's address matches its VFs (Nova checks parent_addr). */
export function deviceSpec(a: SriovAssignment): Record<string, string> {
  const spec: Record<string, string> = {
    vendor_id: a.pf.vendorId ?? "*",
    product_id: a.pf.vfDeviceId ?? "*",
    address: a.pf.pciAddress,
    physical_network: a.physnets[0] ?? "",
  };
  return spec;
}

export function aliasName(physnet: string): string {
  return `${physnet}-vf`;
}

function alias(a: SriovAssignment): Record<string, string> {
  return {
    name: aliasName(a.physnets[0] ?? ""),
    vendor_id: a.pf.vendorId ?? "",
    product_id: a.pf.vfDeviceId ?? "",
    device_type: "type-VF",
  };
}

const FILTERS = [
  "ComputeFilter",
  "ComputeCapabilitiesFilter",
  "ImagePropertiesFilter",
  "ServerGroupAntiAffinityFilter",
  "ServerGroupAffinityFilter",
  "NUMATopologyFilter",
  "PciPassthroughFilter",
];

const json = (o: Record<string, string>) =>
  JSON.stringify(o).replaceAll('":"', '": "').replaceAll('","', '", "');

export function emitNova(assignments: SriovAssignment[], release = DEFAULT_RELEASE): string {
  const major = novaMajor(release);
  const specs = assignments.map((a) => json(deviceSpec(a)));
  const aliases = [
    ...new Map(assignments.map((a) => [aliasName(a.physnets[0] ?? ""), json(alias(a))])).values(),
  ];
  const out = [
    `# nova.conf for SR-IOV, written by kvm4nfv for Nova ${major} (${release}); compute nodes need [pci] and`,
    "# restart nova-compute; controllers need the scheduler filters and alias and restart nova-scheduler/nova-api.",
  ];
  const specKey =
    major >= 26 ? "device_spec" : major >= 14 ? "passthrough_whitelist" : "pci_passthrough_whitelist";
  const oldDefault: string[] = [];
  if (major < 14) oldDefault.push(...specs.map((s) => `${specKey} = ${s}`));
  if (major < 14) oldDefault.push(...aliases.map((s) => `pci_alias = ${s}`));
  if (major < 15) {
    oldDefault.push(
      "scheduler_available_filters = nova.scheduler.filters.all_filters",
      `scheduler_default_filters = ${FILTERS.join(",")}`,
    );
  }
  if (oldDefault.length > 0) out.push("", "[DEFAULT]", ...oldDefault);
  if (major >= 14) {
    out.push("", "[pci]", ...specs.map((s) => `${specKey} = ${s}`), ...aliases.map((s) => `alias = ${s}`));
  }
  if (major >= 15) {
    out.push(
      "",
      "[filter_scheduler]",
      "available_filters = nova.scheduler.filters.all_filters",
      `enabled_filters = ${FILTERS.join(",")}`,
    );
  }
  return `${out.join("\n")}\n`;
}
