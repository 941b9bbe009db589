/** `kvm4nfv revert`: restore every value recorded in the apply journal, newest first. */
import type { Command } from "@commander-js/extra-typings";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { print } from "./run.js";

export function register(program: Command): void {
  program
    .command("revert")
    .description("undo kvm4nfv apply: restore every journaled value byte for byte, newest first")
    .option("--root <dir>", "revert a copy of a snapshot instead of this machine")
    .option("--journal <file>", "journal file (default: <root>/var/lib/kvm4nfv/journal.json)")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION)
    .action(async (opts) => {
      if (opts.node !== undefined) {
        const pod = await import("../pod/commands.js");
        return pod.emitOutcome(await pod.revertOnNodes(opts));
      }
      const { runRevert, formatRevertReport } = await import("../tuning/apply/revert.js");
      print(formatRevertReport(await runRevert(opts)));
    });
}
