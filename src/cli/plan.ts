/** `kvm4nfv plan`: derive the tuning for this machine (or a snapshot) and emit it in one format. */
import type { Command } from "@commander-js/extra-typings";
import type { OptsOf } from "./options.js";
import { finish } from "./run.js";

const declare = (program: Command) =>
  program
    .command("plan")
    .description(
      "derive real-time tuning (isolated CPUs, kernel command line, run-time settings) for a machine",
    )
    .requiredOption("--role <role>", "host or guest")
    .option("--root <dir>", "plan for a snapshot directory instead of this machine")
    .option("--rt-cpus <n>", "how many real-time CPUs (whole cores, one NUMA node)")
    .option("--cpus <list>", "exactly these real-time CPUs (a cpulist)")
    .option("--numa-node <n>", "the NUMA node for the real-time CPUs (default: the one with most free CPUs)")
    .option("--guest-cpus <n>", "vCPUs of the real-time guest (host role; default 2)")
    .option("--hugepages <size:count>", "hugepages to reserve, e.g. 1G:2 (default 1G:2 for a host)")
    .option("--sriov <list>", "SR-IOV VFs to enable: IFACE:VFS:PHYSNET[:netdevice|vfio-pci][,…]")
    .option("--sriov-from <testbed.py>", "the SR-IOV document's env.sriov stanza (read as a literal)")
    .option("--testbed-host <name>", "which host of env.sriov (when it names several)")
    .option("--nic <pci|iface>", "put the RT CPUs and hugepages on this NIC's NUMA node")
    .option("--emit <format>", "json, cmdline, script, tuned, libvirt, qemu or performance-profile", "json")
    .option("-o, --output <file>", "write to a file (a directory for --emit tuned)");
export type PlanOpts = OptsOf<ReturnType<typeof declare>>;

export function register(program: Command): void {
  declare(program).action(async (opts) => {
    const { runPlan } = await import("../app/plan.js");
    finish(runPlan(opts));
  });
}
