/** `kvm4nfv revert`: restore every value recorded in the apply journal, newest first. */
import type { Command } from "@commander-js/extra-typings";
import type { OptsOf } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { finish } from "./run.js";

const declareRevert = (program: Command) =>
  program
    .command("revert")
    .description("undo kvm4nfv apply: restore every journaled value byte for byte, newest first")
    .option("--root <dir>", "revert a copy of a snapshot instead of this machine")
    .option("--journal <file>", "journal file (default: <root>/var/lib/kvm4nfv/journal.json)")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION);
export type RevertOpts = OptsOf<ReturnType<typeof declareRevert>>;

export function register(program: Command): void {
  declareRevert(program).action(async (opts) => {
    if (opts.node !== undefined) {
      const { revertOnNodes } = await import("../app/nodes.js");
      return finish(await revertOnNodes(opts));
    }
    const { revertCommand } = await import("../app/tuning.js");
    finish(await revertCommand(opts));
  });
}
