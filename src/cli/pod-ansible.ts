/**
 * `kvm4nfv pod from-ansible | to-ansible | import-fleet`: Ansible inventories ↔ pod.yaml, and what the Ansible
 * role in ansible/ fetched from the fleet, judged and stored. Flags only; the work is in src/yardstick/.
 */
import type { Command } from "@commander-js/extra-typings";
import { storeOption } from "./options.js";
import { print, setExit } from "./run.js";

function podGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === "pod");
  return (existing ??
    program.command("pod").description("pod inventories and the Ansible fleet")) as unknown as Command;
}

export function register(program: Command): void {
  const pod = podGroup(program);
  pod
    .command("from-ansible")
    .description("convert an Ansible inventory (INI, YAML, anything ansible-inventory reads) to pod.yaml")
    .argument("<inventory>", "the inventory")
    .action(async (inventory) => {
      const { readAnsibleInventory, podYaml } = await import("../yardstick/ansible-inventory.js");
      print(podYaml(await readAnsibleInventory(inventory), inventory));
    });
  pod
    .command("to-ansible")
    .description("convert a pod.yaml to an Ansible INI inventory (one group per role)")
    .argument("<pod>", "pod.yaml")
    .action(async (file) => {
      const [{ readPodFile }, { ansibleIni }] = await Promise.all([
        import("../yardstick/nodes.js"),
        import("../yardstick/ansible-inventory.js"),
      ]);
      print(ansibleIni(readPodFile(file)));
    });
  pod
    .command("import-fleet")
    .description("judge the snapshots and store the cyclictest runs the Ansible role fetched (DIR/NODE/…)")
    .argument("<dir>", "the role's fetch directory")
    .option("--sla <limits>", "SLA for the timer runs (default min=50,avg=100,max=1000)")
    .option("--role <role>", "check role: host or guest", "host")
    .addOption(storeOption())
    .action(async (dir, opts) => {
      const { importFleet } = await import("../yardstick/fleet.js");
      const o = await importFleet(dir, opts);
      print(o.text);
      setExit(o.exitCode);
    });
}
