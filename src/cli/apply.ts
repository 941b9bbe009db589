/** `kvm4nfv apply PLAN.json`: show (default) or make (--yes) the changes a plan asks for, journaled for revert. */
import type { Command } from "@commander-js/extra-typings";
import type { OptsOf } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { finish } from "./run.js";

const declareApply = (program: Command) =>
  program
    .command("apply")
    .description(
      "apply a plan made by kvm4nfv plan: a dry run unless --yes; every change is journaled for revert, then " +
        "read back (exit 1 when a setting does not read back as planned)",
    )
    .argument("<plan>", "PLAN.json from kvm4nfv plan --emit json")
    .option("--root <dir>", "apply to a copy of a snapshot instead of this machine")
    .option("--yes", "make the changes (without it: only show them)")
    .option("--journal <file>", "journal file (default: <root>/var/lib/kvm4nfv/journal.json)")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION);
export type ApplyOpts = OptsOf<ReturnType<typeof declareApply>>;

export function register(program: Command): void {
  declareApply(program).action(async (plan, opts) => {
    if (opts.node !== undefined) {
      const { applyOnNodes } = await import("../app/nodes.js");
      return finish(await applyOnNodes(plan, opts));
    }
    const { applyCommand } = await import("../app/tuning.js");
    finish(await applyCommand(plan, opts));
  });
}
