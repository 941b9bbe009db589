/** `kvm4nfv sriov emit|place`: SR-IOV configuration for Nova/Neutron/libvirt/Kubernetes, and VF placement. Flags only. */
import type { Command } from "@commander-js/extra-typings";
import type { OptsOf } from "./options.js";
import { finish } from "./run.js";

const collect = (v: string, acc: string[]) => [...acc, v];

const declareEmit = (sriov: Command) =>
  sriov
    .command("emit")
    .description(
      "write nova.conf, Neutron SR-IOV agent, openstack commands, libvirt hostdev interfaces or k8s YAML",
    )
    .requiredOption("--emit <format>", "nova | neutron | openstack-commands | libvirt | k8s")
    .option("--sriov <list>", "IFACE:VFS:PHYSNET[:netdevice|vfio-pci][,…]")
    .option(
      "--sriov-from <testbed.py>",
      "the SR-IOV document's env.sriov stanza (read as a literal, never run)",
    )
    .option("--testbed-host <name>", "which host of env.sriov (when it names several)")
    .option(
      "--openstack-release <release>",
      "Nova/Neutron release: zed, yoga, mitaka, 2024.1, … (default 2025.1)",
    )
    .option("--root <dir>", "read a snapshot directory instead of the live machine");
export type SriovEmitOpts = OptsOf<ReturnType<typeof declareEmit>>;

const declarePlace = (sriov: Command) =>
  sriov
    .command("place")
    .description("which nodes can host VFs on physical networks, as Nova's PciPassthroughFilter decides")
    .requiredOption("--request <list>", "PHYSNET:COUNT[,…] (one SR-IOV port per VF)")
    .option(
      "--root <dir[@PHYSNET:IFACE,…]>",
      "a node's snapshot (repeat); mappings default to its sriov_agent.ini",
      collect,
      [],
    )
    .option("--pod <pod.yaml>", "the nodes of a pod, read over SSH (default $KVM4NFV_POD with --node)")
    .option("--node <sel>", "which nodes of the pod: NAME, all, role:ROLE (default all)")
    .option(
      "--map <NODE=PHYSNET:IFACE,…>",
      "a pod node's mappings (default its sriov_agent.ini)",
      collect,
      [],
    )
    .option("--accept-new-host-key", "trust a node's host key on first contact")
    .option("--json", "print the pools and verdicts as JSON");
export type SriovPlaceOpts = OptsOf<ReturnType<typeof declarePlace>>;

export function register(program: Command): void {
  const sriov = program
    .command("sriov")
    .description("SR-IOV: configuration for OpenStack/Kubernetes, and VF placement");
  declareEmit(sriov).action(async (opts) => {
    const { sriovEmitCommand } = await import("../app/sriov.js");
    finish(await sriovEmitCommand(opts));
  });
  declarePlace(sriov).action(async (opts) => {
    const { sriovPlaceCommand } = await import("../app/sriov.js");
    finish(await sriovPlaceCommand(opts));
  });
}
