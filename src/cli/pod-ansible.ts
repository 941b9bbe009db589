/**
 * `kvm4nfv pod from-ansible | to-ansible | import-fleet`: Ansible inventories ↔ pod.yaml, and what the Ansible
 * role in ansible/ fetched from the fleet, judged and stored. Flags only; the work is in src/yardstick/.
 */
import type { Command } from "@commander-js/extra-typings";
import { type OptsOf, storeOption } from "./options.js";
import { finish } from "./run.js";

function podGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === "pod");
  return (existing ??
    program.command("pod").description("pod inventories and the Ansible fleet")) as unknown as Command;
}

const declareImportFleet = (pod: Command) =>
  pod
    .command("import-fleet")
    .description("judge the snapshots and store the cyclictest runs the Ansible role fetched (DIR/NODE/…)")
    .argument("<dir>", "the role's fetch directory")
    .option("--sla <limits>", "SLA for the timer runs (default min=50,avg=100,max=1000)")
    .option("--role <role>", "check role: host or guest", "host")
    .addOption(storeOption());
export type ImportFleetOpts = OptsOf<ReturnType<typeof declareImportFleet>>;

export function register(program: Command): void {
  const pod = podGroup(program);
  pod
    .command("from-ansible")
    .description("convert an Ansible inventory (INI, YAML, anything ansible-inventory reads) to pod.yaml")
    .argument("<inventory>", "the inventory")
    .action(async (inventory) => {
      const { fromAnsible } = await import("../app/yardstick.js");
      finish(await fromAnsible(inventory));
    });
  pod
    .command("to-ansible")
    .description("convert a pod.yaml to an Ansible INI inventory (one group per role)")
    .argument("<pod>", "pod.yaml")
    .action(async (file) => {
      const { toAnsible } = await import("../app/yardstick.js");
      finish(await toAnsible(file));
    });
  declareImportFleet(pod).action(async (dir, opts) => {
    const { importFleetCommand } = await import("../app/yardstick.js");
    finish(await importFleetCommand(dir, opts));
  });
}
