/** `kvm4nfv apply PLAN.json`: show (default) or make (--yes) the changes a plan asks for, journaled for revert. */
import type { Command } from "@commander-js/extra-typings";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { print, setExit } from "./run.js";

export function register(program: Command): void {
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
    .option(...ACCEPT_NEW_OPTION)
    .action(async (plan, opts) => {
      if (opts.node !== undefined) {
        const pod = await import("../pod/commands.js");
        return pod.emitOutcome(await pod.applyOnNodes({ plan, ...opts }));
      }
      const { runApply, formatApplyReport } = await import("../tuning/apply/apply.js");
      const report = await runApply({ plan, ...opts });
      print(formatApplyReport(report));
      setExit((report.unverified ?? []).length > 0 ? 1 : 0);
    });
}
