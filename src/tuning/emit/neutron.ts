/**
 * Neutron for SR-IOV: ML2 with the sriovnicswitch mechanism driver (ml2_conf.ini on the controller) and the
 * SR-IOV NIC agent's physical_device_mappings (sriov_agent.ini on each compute node), one physnet → one PF.
 */
import type { SriovAssignment } from "../../sriov/request.js";

export function emitNeutron(assignments: SriovAssignment[]): string {
  const mappings = assignments.flatMap((a) => a.physnets.map((n) => `${n}:${a.pf.netdev ?? a.iface}`));
  const physnets = [...new Set(assignments.flatMap((a) => a.physnets))];
  const vlans = physnets.map((n) => {
    const v = assignments.find((a) => a.physnets.includes(n))?.vlan;
    return v === undefined ? n : `${n}:${v}:${v}`;
  });
  return [
    "# /etc/neutron/plugins/ml2/ml2_conf.ini (controller), written by kvm4nfv",
    "[ml2]",
    "type_drivers = vlan,flat",
    "tenant_network_types = vlan",
    "mechanism_drivers = openvswitch,sriovnicswitch",
    "",
    "[ml2_type_vlan]",
    `network_vlan_ranges = ${vlans.join(",")}`,
    "",
    "# /etc/neutron/plugins/ml2/sriov_agent.ini (each SR-IOV compute node; run neutron-sriov-nic-agent)",
    "[sriov_nic]",
    `physical_device_mappings = ${mappings.join(",")}`,
    "exclude_devices =",
    "",
    "[securitygroup]",
    "firewall_driver = noop",
    "",
  ].join("\n");
}
