/**
 * The SR-IOV document's §4 "Launching VMs" as commands: provider network on the physnet (with its VLAN), subnet,
 * a port with vnic type direct, and the server booted on that port — for today's `openstack` client, and in the
 * document's own `neutron`/`nova` client form (`--openstack-release` before Ocata, or `form: "legacy"`).
 */
import type { SriovAssignment } from "../../sriov/request.js";

export interface CommandsOptions {
  form?: "openstack" | "legacy";
  flavor?: string;
  image?: string;
  cidrBase?: number;
}

/** sh single-quoting, for names that come from the user. */
function q(s: string): string {
  return /^[A-Za-z0-9_.:/=-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`;
}

export function emitOpenstackCommands(assignments: SriovAssignment[], opts: CommandsOptions = {}): string {
  const flavor = q(opts.flavor ?? "m1.large");
  const image = q(opts.image ?? "IMAGE");
  const out = [
    "#!/bin/sh",
    "# SR-IOV networks, ports and a server per physical network (kvm4nfv; run with admin credentials)",
    "set -eu",
  ];
  let i = 0;
  for (const a of assignments) {
    for (const physnet of a.physnets) {
      i++;
      const net = q(`vn-${physnet}`);
      const vlan = a.vlan ?? 100 + i - 1;
      const cidr = `10.${opts.cidrBase ?? 56}.${i}.0/24`;
      const port = q(`sriov-${physnet}-port`);
      const vm = q(`vm-${physnet}`);
      const vnic = "direct";
      if (opts.form === "legacy") {
        out.push(
          "",
          `neutron net-create --provider:network_type=vlan --provider:physical_network=${q(physnet)} --provider:segmentation_id=${vlan} ${net}`,
          `neutron subnet-create ${net} ${cidr}`,
          `PORT=$(neutron port-create --name ${port} ${net} --binding:vnic_type ${vnic} | awk '$2 == "id" {print $4}')`,
          `nova boot --flavor ${flavor} --image ${image} --nic port-id="$PORT" ${vm}`,
        );
      } else {
        out.push(
          "",
          `openstack network create --provider-network-type vlan --provider-physical-network ${q(physnet)} --provider-segment ${vlan} ${net}`,
          `openstack subnet create --network ${net} --subnet-range ${cidr} ${q(`vn-${physnet}-subnet`)}`,
          `openstack port create --network ${net} --vnic-type ${vnic} ${port}`,
          `openstack server create --flavor ${flavor} --image ${image} --port ${port} --wait ${vm}`,
        );
      }
    }
  }
  return `${out.join("\n")}\n`;
}
