/**
 * `plan --sriov SPEC | --sriov-from TESTBED [--testbed-host H] | --nic PCI|IFACE`: what the plan needs from the
 * request — the PFs to provision (VF count, vfio-pci or not) and the NIC whose NUMA node the RT CPUs and the
 * hugepages must share (KVM4NFV: NIC, RT CPUs and hugepages on one node). Resolved against the host as read;
 * bad input is one line, exit 2.
 */
import { InputError, UsageError } from "../errors.js";
import type { Host } from "../host/model.js";
import type { SriovInfo } from "../host/sriov.js";
import type { PlanOptions, SriovPfPlan } from "../tuning/plan-types.js";
import { assignmentsOf } from "./actions.js";

export interface SriovPlanFlags {
  sriov?: string | undefined;
  sriovFrom?: string | undefined;
  testbedHost?: string | undefined;
  nic?: string | undefined;
}

const PCI = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;

/** A NIC by netdev name or PCI address: its NUMA node (null: the kernel does not say, or a one-node machine). */
function nicNode(host: Host, info: SriovInfo, nic: string): { name: string; node: number | null } {
  const pf = info.pfs.find((p) => p.netdev === nic || p.pciAddress === nic);
  if (pf) return { name: pf.netdev ?? pf.pciAddress, node: pf.numaNode };
  const net = host.runtime.net.find((n) => n.iface === nic || n.pciAddress === nic);
  if (net) return { name: net.iface, node: net.numaNode };
  if (!PCI.test(nic) && !/^[\w.:-]+$/.test(nic))
    throw new UsageError(`--nic "${nic}": expected a PCI address or an interface`);
  throw new InputError("BAD_INPUT", `--nic ${nic}: no such network interface or PCI device on this machine`);
}

/** The SR-IOV part of PlanOptions (sriov, nic); nothing when no SR-IOV flag is given. */
export function sriovPlanOptions(host: Host, flags: SriovPlanFlags): Pick<PlanOptions, "sriov" | "nic"> {
  const info = host.sriov;
  const asked = flags.sriov !== undefined || flags.sriovFrom !== undefined;
  if (!asked && flags.nic === undefined) return {};
  if (info === undefined) throw new InputError("BAD_INPUT", "SR-IOV state could not be read on this machine");
  const out: Pick<PlanOptions, "sriov" | "nic"> = {};
  if (asked) {
    const a = assignmentsOf(info, flags);
    out.sriov = a.map(
      (x): SriovPfPlan => ({
        pf: x.pf.pciAddress,
        netdev: x.pf.netdev,
        vfs: x.vfs,
        driver: x.deviceType === "vfio-pci" ? "vfio-pci" : null,
      }),
    );
    const nodes = [...new Set(a.map((x) => x.pf.numaNode).filter((n): n is number => n !== null))];
    if (flags.nic === undefined && nodes.length > 1)
      throw new InputError(
        "BAD_INPUT",
        `the --sriov PFs sit on NUMA nodes ${nodes.join(" and ")}: the RT CPUs can share only one (name it with --nic)`,
      );
    const first = a[0];
    if (flags.nic === undefined && first !== undefined)
      out.nic = { name: first.pf.netdev ?? first.pf.pciAddress, node: nodes[0] ?? null };
  }
  if (flags.nic !== undefined) out.nic = nicNode(host, info, flags.nic);
  return out;
}
