/**
 * `--switch sriov`: KVM4NFV's "Packet Forwarding (SR-IOV)" — a VF of the NIC passed to the guest with
 * vfio-pci, the NIC's embedded switch in place of a vSwitch. The topology builder takes the VF from the host's
 * SR-IOV picture (src/host/sriov.ts, live or a snapshot root): the first VF whose whole IOMMU group is bound
 * to vfio-pci, and the guest's QEMU arguments for it. It can never run here: this host has no SR-IOV NIC, and
 * the generator's ends are network namespaces on the host, which cannot reach a VF's wire (that takes a lab
 * generator cabled to the PF). So the command refuses, with the reason, after saying what it would pass.
 */
import { Kvm4nfvError } from "../../errors.js";
import type { HostFs } from "../../host/fs.js";
import { readSriov, type SriovPf, type SriovVf } from "../../host/sriov.js";

export interface VfChoice {
  pf: SriovPf;
  vf: SriovVf;
  /** QEMU arguments that hand the VF to the VNF guest. */
  qemuArgs: string[];
}

/** QEMU's vfio-pci device for a VF (host address as sysfs spells it). */
export function vfPassthroughArgs(vf: Pick<SriovVf, "pciAddress">, id = "vnf0vf"): string[] {
  return ["-device", `vfio-pci,host=${vf.pciAddress},id=${id}`];
}

/**
 * The VF the SR-IOV topology would use, or an error saying why there is none (exit 3: the host, not the
 * input). A VF whose group is not wholly bound to vfio-pci is named with what blocks it.
 */
export function chooseVf(fs: HostFs): VfChoice {
  const info = readSriov(fs);
  const vfs = info.pfs.flatMap((pf) => pf.vfs.map((vf) => ({ pf, vf })));
  if (vfs.length === 0) {
    throw new Kvm4nfvError(
      "PERMISSION",
      "--switch sriov: this host has no SR-IOV virtual function (no PCI device with a physfn link under /sys/bus/pci/devices)",
      {
        hint: "SR-IOV needs a NIC with VFs enabled (echo N > /sys/class/net/PF/device/sriov_numvfs) bound to vfio-pci",
      },
    );
  }
  const ready = vfs.find(({ vf }) => vf.driver === "vfio-pci" && vf.vfio.viable === true);
  if (!ready) {
    const first = vfs[0]!;
    const why = first.vf.vfio.blockers.length
      ? first.vf.vfio.blockers.join(", ")
      : `driver ${first.vf.driver ?? "none"}`;
    throw new Kvm4nfvError(
      "PERMISSION",
      `--switch sriov: ${vfs.length} VF(s) but none ready for the guest: ${first.vf.pciAddress} of ${first.pf.netdev ?? first.pf.pciAddress} is not bound to vfio-pci with its whole IOMMU group (${why})`,
      {
        hint: `bind it: echo vfio-pci > /sys/bus/pci/devices/${first.vf.pciAddress}/driver_override, then unbind and reprobe`,
      },
    );
  }
  return { ...ready, qemuArgs: vfPassthroughArgs(ready.vf) };
}

/** Why a chosen VF still cannot be measured from this host (one line, exit 3). */
export function sriovCannotRun(choice: VfChoice): Kvm4nfvError {
  return new Kvm4nfvError(
    "PERMISSION",
    `--switch sriov: VF ${choice.vf.pciAddress} of ${choice.pf.netdev ?? choice.pf.pciAddress} is ready for the guest (${choice.qemuArgs.join(" ")}), but the generator's ends are network namespaces on this host and cannot reach the VF's wire`,
    { hint: "the SR-IOV test needs a traffic generator cabled to the PF's port (a lab host)" },
  );
}
