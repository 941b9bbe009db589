/**
 * The command table: one line per command file. Each file exports `register(program)`, which declares the
 * command's flags and an action that lazily imports the core it needs.
 */
import type { Command } from "@commander-js/extra-typings";
import { register as registerApply } from "./apply.js";
import { register as registerCheck } from "./check.js";
import { register as registerGuest } from "./guest.js";
import { register as registerInspect } from "./inspect.js";
import { register as registerJobs } from "./jobs.js";
import { register as registerKernel } from "./kernel.js";
import { register as registerPlan } from "./plan.js";
import { register as registerPodAnsible } from "./pod-ansible.js";
import { register as registerReport } from "./report.js";
import { register as registerResults } from "./results.js";
import { register as registerRevert } from "./revert.js";
import { register as registerSriov } from "./sriov.js";
import { register as registerTest } from "./test.js";
import { register as registerYardstick } from "./yardstick.js";

type Register = (program: Command) => void;

// biome-ignore lint/suspicious/noExplicitAny: commander's typed Command generic varies per program
export function registerCommands(program: Command<any, any, any>): void {
  const registers: Register[] = [
    registerInspect,
    registerCheck,
    registerResults,
    registerReport,
    registerGuest,
    registerPlan,
    registerApply,
    registerRevert,
    registerTest,
    registerJobs,
    registerYardstick, // after registerJobs: adds `run task` to the `run` command
    registerPodAnsible,
    registerSriov,
    registerKernel,
  ];
  for (const r of registers) r(program as Command);
}
