/**
 * `kvm4nfv pod from-ansible | to-ansible | import-fleet` and `kvm4nfv run task`: Ansible inventories ↔ pod.yaml,
 * the Ansible role's fetched fleet, Yardstick task files (the work is src/yardstick/). Options typed by
 * src/cli/{pod-ansible,yardstick}.ts's tables; the task runner's RunTaskFlags is tied to its table by SameKeys.
 * run task's exit is 0 criteria PASS, 1 FAIL; import-fleet's the worst node's.
 */
import type { ImportFleetOpts } from "../cli/pod-ansible.js";
import type { RunTaskOpts } from "../cli/yardstick.js";
import type { RunTaskFlags } from "../yardstick/flags.js";
import type { importFleet } from "../yardstick/fleet.js";
import { type KeysMatch, type OnProgress, type Outcome, outcome, type SameKeys } from "./outcome.js";

export type RunTaskFlagsMatch = KeysMatch<SameKeys<RunTaskOpts, RunTaskFlags>>;
export type ImportFleetFlagsMatch = KeysMatch<SameKeys<ImportFleetOpts, Parameters<typeof importFleet>[1]>>;

export async function fromAnsible(inventory: string): Promise<Outcome<string>> {
  const { readAnsibleInventory, podYaml } = await import("../yardstick/ansible-inventory.js");
  return outcome(podYaml(await readAnsibleInventory(inventory), inventory));
}

export async function toAnsible(file: string): Promise<Outcome<string>> {
  const [{ readPodFile }, { ansibleIni }] = await Promise.all([
    import("../yardstick/nodes.js"),
    import("../yardstick/ansible-inventory.js"),
  ]);
  return outcome(ansibleIni(readPodFile(file)));
}

export async function importFleetCommand(dir: string, opts: ImportFleetOpts): Promise<Outcome<string>> {
  const { importFleet } = await import("../yardstick/fleet.js");
  const o = await importFleet(dir, opts);
  return outcome(o.text, o.exitCode);
}

/** `run task`: flags as the CLI resolved them (run's own --store and -o given back to the task). */
export async function runTaskCommand(
  file: string,
  flags: RunTaskOpts,
  onProgress: OnProgress = () => {},
): Promise<Outcome<string>> {
  const { runTask } = await import("../yardstick/run-task.js");
  const o = await runTask(file, flags, onProgress);
  return outcome(o.text, o.exitCode);
}
